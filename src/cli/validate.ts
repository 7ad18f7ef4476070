import { printable, printableJson } from '../core/base/text.ts';
import { parseFlags, UsageError } from './args.ts';
import { formatDiagnostic } from './format.ts';
import { MEMORY_BUDGET_FLAG, parseMemoryBudget } from './memory-budget.ts';
import { compileFile, type CompiledFile } from './compile-file.ts';

export type FileReport = Omit<CompiledFile, 'program'>;

export interface ValidateOptions {
  /** The most memory a document may ask for (--memory-budget). */
  maxMemoryBudgetMB?: number;
}

export async function validateFile(file: string, options: ValidateOptions = {}): Promise<FileReport> {
  const { program: _program, ...report } = await compileFile(file, options);
  return report;
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
