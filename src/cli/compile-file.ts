/**
 * A graph file read, checked and compiled the one way every command does:
 * the bounded reader, the byte loader (size, encoding, schema, migrations),
 * then the analysis and the compiler under the memory limit. `validate`
 * reports the result; train, sample and bench run its program.
 */
import type { Diagnostic } from '../core/base/diagnostics.ts';
import { compile, type Program } from '../core/compiler/program.ts';
import { loadBytes } from '../core/graph/load.ts';
import { analyze } from '../core/shapes/analyze.ts';
import { readGraphFile, UNREADABLE } from './read-file.ts';

export interface CompiledFile {
  file: string;
  ok: boolean;
  /** Set when the file could not be read or parsed. */
  unreadable: boolean;
  diagnostics: Diagnostic[];
  /** When ok. */
  program?: Program;
}

export interface CompileFileOptions {
  /** Trains with this seed instead of the document's. */
  seed?: number | undefined;
  /** The most memory a document may ask for (--memory-budget); the default limit when absent. */
  maxMemoryBudgetMB?: number | undefined;
}

export async function compileFile(file: string, options: CompileFileOptions = {}): Promise<CompiledFile> {
  const bytes = await readGraphFile(file);
  if (!(bytes instanceof Uint8Array)) return { file, ok: false, unreadable: true, diagnostics: [bytes] };
  const loaded = loadBytes(bytes);
  if (!loaded.ok) return { file, ok: false, unreadable: loaded.diagnostics.some((d) => UNREADABLE.has(d.code)), diagnostics: loaded.diagnostics };
  const { seed, maxMemoryBudgetMB } = options;
  const document = seed === undefined ? loaded.document : { ...loaded.document, training: { ...loaded.document.training, seed } };
  // The compiler's checks too (objectives, sampler plans): what validate passes, train accepts.
  const compiled = compile(document, analyze(document, maxMemoryBudgetMB === undefined ? {} : { maxMemoryBudgetMB }));
  if (!compiled.ok) return { file, ok: false, unreadable: false, diagnostics: compiled.diagnostics };
  return { file, ok: true, unreadable: false, diagnostics: compiled.diagnostics, program: compiled.program };
}
