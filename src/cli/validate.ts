import { printable, printableJson } from '../core/base/text.ts';
import { loadBytes } from '../core/graph/load.ts';
import { compile } from '../core/compiler/program.ts';
import { analyze } from '../core/shapes/analyze.ts';
import type { Diagnostic } from '../core/base/diagnostics.ts';
import { parseFlags, UsageError } from './args.ts';
import { formatDiagnostic } from './format.ts';
import { MEMORY_BUDGET_FLAG, parseMemoryBudget } from './memory-budget.ts';
import { readGraphFile, UNREADABLE } from './read-file.ts';

export interface FileReport {
  file: string;
  ok: boolean;
  /** Set when the file could not be read or parsed. */
  unreadable: boolean;
  diagnostics: Diagnostic[];
}

export interface ValidateOptions {
  /** The most memory a document may ask for (--memory-budget). */
  maxMemoryBudgetMB?: number;
}

export async function validateFile(file: string, options: ValidateOptions = {}): Promise<FileReport> {
  const bytes = await readGraphFile(file);
  if (!(bytes instanceof Uint8Array)) return { file, ok: false, unreadable: true, diagnostics: [bytes] };
  const loaded = loadBytes(bytes);
  if (!loaded.ok) {
    return { file, ok: false, unreadable: loaded.diagnostics.some((d) => UNREADABLE.has(d.code)), diagnostics: loaded.diagnostics };
  }
  // The compiler's checks too (objectives, sampler plans): what validate passes, train accepts.
  const diagnostics = compile(loaded.document, analyze(loaded.document, options)).diagnostics;
  return { file, ok: !diagnostics.some((d) => d.severity === 'error'), unreadable: false, diagnostics };
}

export { formatDiagnostic };

export async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean', default: false }, ...MEMORY_BUDGET_FLAG });
  if (positionals.length === 0) throw new UsageError('name at least one graph file');
  const limit = parseMemoryBudget(values['memory-budget']);
  const reports: FileReport[] = [];
  for (const file of positionals) reports.push(await validateFile(file, limit === undefined ? {} : { maxMemoryBudgetMB: limit }));
  if (values.json) console.log(printableJson(JSON.stringify({ files: reports }, null, 2)));
  else {
    for (const report of reports) {
      for (const d of report.diagnostics) console.log(formatDiagnostic(report.file, d));
      if (report.ok) console.log(`${printable(report.file)}: ok`);
    }
  }
  if (reports.some((r) => r.unreadable)) return 2;
  return reports.every((r) => r.ok) ? 0 : 1;
}
