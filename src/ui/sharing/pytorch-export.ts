/// <reference types="vite/client" />
/**
 * Share ▸ Export ▸ PyTorch project: the files `gencomposer export FILE --to
 * pytorch --out DIR` writes, in one zip under a folder named after the
 * graph. The weights are the ones the app holds for the graph on screen (the
 * run in the training worker, else the checkpoint stored in this browser,
 * with averaged.safetensors where an objective keeps a weight average), or
 * the seed's initial weights when it has none; the data files are the
 * shipped ones the graph reads and the user's files attached in this
 * browser. A graph the export cannot write is refused with its GC301
 * problems, one line each, and nothing is downloaded.
 *
 * The work is a function of the document and what it is handed (weights,
 * data readers), so tests run it without a browser; ShareMenu hands it the
 * app's own.
 */
import { strToU8, zip, type AsyncZippable } from 'fflate';
import type { Diagnostic } from '../../core/base/diagnostics.ts';
import { compile, type Program } from '../../core/compiler/program.ts';
import { isUserFolder, UserDataError, type ReadUserFile } from '../../core/data/user-file.ts';
import { exportedDataFiles } from '../../core/export/data-files.ts';
import { writeTorchModel } from '../../core/export/pytorch/model.ts';
import { pytorchProject, type ProjectFile } from '../../core/export/pytorch/project.ts';
import type { GraphDocument } from '../../core/graph/schema.ts';
import type { Analysis } from '../../core/shapes/analyze.ts';
import { CheckpointError, parseManifest } from '../../core/train/checkpoint.ts';
import type { ExportCheckpoint } from '../../worker/protocol.ts';
import { averagesOfCheckpoint, variablesOfCheckpoint } from '../training/weights-files.ts';
import { fileStem } from './downloads.ts';

/**
 * python/gencomposer/*.py by file name, bundled with the app: the package
 * every exported project carries (the CLI reads the same files from disk).
 */
export const PYTHON_LIBRARY: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(import.meta.glob<string>('/python/gencomposer/*.py', { query: '?raw', import: 'default', eager: true }))
    .map(([path, text]) => [path.slice(path.lastIndexOf('/') + 1), text] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
);

/** What the export is handed: where the weights and the data files come from. */
export interface ExportSources {
  /** The weights the app holds for this document's model (a run or a stored checkpoint); undefined when none. */
  weights(document: GraphDocument): Promise<ExportCheckpoint | undefined>;
  /** A file shipped with GenComposer, by its path under public/ (data/mnist.bin). */
  readAsset(path: string): Promise<Uint8Array>;
  /** A data file of the user's, attached to a Data node in this browser. */
  readUserFile: ReadUserFile;
}

export type PytorchExport =
  | {
      ok: true;
      /** The zip's name: the graph's name made a file name. */
      fileName: string;
      zip: Uint8Array;
      /** The project's files, by their path in the project (without the zip's top folder). */
      files: ProjectFile[];
      /** What weights.safetensors holds, in words. */
      weightsFrom: string;
      /** Data files the graph reads that are not in the zip, each with the reason. */
      missingData: string[];
    }
  | ExportRefusal;

/** Problems listed one per line; the rest are counted. */
const SHOWN_PROBLEMS = 6;

/** `• node: message (GC301)`, with the module when the node is inside one, as the problems panel names places. */
export function problemLine(d: Diagnostic, document: GraphDocument): string {
  const moduleName = (id: string) => document.modules.find((m) => m.id === id)?.name ?? id;
  const where = d.node !== undefined ? `${d.module !== undefined ? `${moduleName(d.module)} › ` : ''}${d.node}${d.port !== undefined ? `.${d.port}` : ''}` : d.module !== undefined ? moduleName(d.module) : undefined;
  return `• ${where ? `${where}: ` : ''}${d.message} (${d.code})`;
}

export function problemLines(diagnostics: readonly Diagnostic[], document: GraphDocument): string[] {
  const lines = diagnostics.slice(0, SHOWN_PROBLEMS).map((d) => problemLine(d, document));
  const more = diagnostics.length - SHOWN_PROBLEMS;
  if (more > 0) lines.push(`• and ${more} more problem${more === 1 ? '' : 's'}`);
  return lines;
}

/** An export that downloads nothing: what happened, and its problems one per line. */
export interface ExportRefusal {
  ok: false;
  /** What happened, in one line. */
  message: string;
  /** One line per problem, naming its node. */
  problems: string[];
}

export const refused = (message: string, problems: string[] = []): ExportRefusal => ({ ok: false, message, problems });

/** The text a notice shows for a refused export: what happened, then its problems. */
export function refusalText(result: ExportRefusal): string {
  return [result.message, ...result.problems].join('\n');
}

export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The name of the zip: `MLP VAE on MNIST` → `mlp-vae-on-mnist-pytorch.zip`. */
export function pytorchZipName(document: GraphDocument): string {
  return `${fileStem(document.meta.name)}-pytorch.zip`;
}

/** Builds the PyTorch project of the graph and zips it, or says why it cannot. */
export async function exportPytorchProject(document: GraphDocument, analysis: Analysis, sources: ExportSources): Promise<PytorchExport> {
  const name = document.meta.name;
  const compiled = compile(document, analysis);
  if (!compiled.ok) {
    const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
    return refused(`“${name}” cannot be exported until its problems are fixed; nothing was downloaded.`, problemLines(errors, document));
  }
  const program = compiled.program;
  // Refusals first: no weights are fetched for a graph the export cannot write.
  const model = writeTorchModel(program);
  if (!model.ok) return refused(`“${name}” cannot be exported as a PyTorch project; nothing was downloaded.`, problemLines(model.diagnostics, document));

  const held = await heldWeights(program, sources);
  if (!held.ok) return refused(`“${name}” was not exported: its trained weights could not be read (${held.reason}); nothing was downloaded.`);
  const { weights, averaged, weightsFrom } = held;

  const data = new Map<string, Uint8Array>();
  const missingData: string[] = [];
  try {
    for (const f of exportedDataFiles(document)) {
      if (f.kind === 'asset') {
        data.set(f.path, await sources.readAsset(f.asset));
        continue;
      }
      try {
        const read = await sources.readUserFile(f.name);
        if (!isUserFolder(read)) data.set(f.path, read);
        else for (const entry of read.entries) data.set(`${f.path}/${entry.path}`, await entry.read());
      } catch (error) {
        if (!(error instanceof UserDataError)) throw error;
        missingData.push(`${f.path} (read by ${f.nodes.join(', ')}): ${error.message}`);
      }
    }
  } catch (error) {
    return refused(`“${name}” was not exported: its data files could not be gathered (${messageOf(error)}); nothing was downloaded.`);
  }

  const result = pytorchProject(program, { library: PYTHON_LIBRARY, data, ...(weights ? { weights } : {}), ...(averaged ? { averaged } : {}), ...(weightsFrom ? { weightsFrom } : {}) });
  if (!result.ok) return refused(`“${name}” cannot be exported as a PyTorch project; nothing was downloaded.`, problemLines(result.diagnostics, document));
  const files = missingData.length ? withMissingData(result.files, missingData) : result.files;
  const folder = fileStem(name);
  const zipped = await zipFiles(files.map((f) => ({ path: `${folder}/${f.path}`, data: f.data })));
  return {
    ok: true,
    fileName: pytorchZipName(document),
    zip: zipped,
    files,
    weightsFrom: weightsFrom ?? `the initial weights of seed ${program.document.training.seed}`,
    missingData,
  };
}

export type HeldWeights =
  | {
      ok: true;
      /** Undefined when the app holds no weights for the model: the seed's initial weights are exported. */
      weights?: Map<string, Float32Array>;
      /** The weight averages samples are drawn with, where an objective keeps them (its ema). */
      averaged?: Map<string, Float32Array>;
      /** What the weights are, in words. */
      weightsFrom?: string;
      step?: number;
    }
  | { ok: false; reason: string };

/** The weights the app holds for the program's document, checked against the program, with their averages. */
export async function heldWeights(program: Program, sources: Pick<ExportSources, 'weights'>): Promise<HeldWeights> {
  try {
    const held = await sources.weights(program.document);
    if (!held) return { ok: true };
    const manifest = parseManifest(held.manifest);
    const weights = variablesOfCheckpoint(program, manifest, held.weights);
    const averaged = averagesOfCheckpoint(program, manifest, held.weights, weights);
    const weightsFrom = held.step === 0 ? 'the weights loaded into GenComposer (step 0)' : `the weights trained in GenComposer to step ${held.step}`;
    return { ok: true, weights, weightsFrom, step: held.step, ...(averaged ? { averaged } : {}) };
  } catch (error) {
    return { ok: false, reason: error instanceof CheckpointError ? `the stored checkpoint is not readable: ${error.message}` : messageOf(error) };
  }
}

/** README.md says which data files the person must put in data/ themselves. */
function withMissingData(files: readonly ProjectFile[], missing: readonly string[]): ProjectFile[] {
  const note = `
## Data files to add

These files of yours were not attached in the browser that exported the
project, so they are not in it; copy them to these paths before training:

${missing.map((m) => `- ${m}`).join('\n')}
`;
  return files.map((f) => (f.path === 'README.md' && typeof f.data === 'string' ? { ...f, data: `${f.data}${note}` } : f));
}

/** Already compressed or random-looking data gains little from deflate; text gains much. */
function levelFor(path: string): 0 | 1 | 6 {
  if (/\.(png|zip|gz)$/i.test(path)) return 0;
  return path.endsWith('.py') || path.endsWith('.md') || path.endsWith('.txt') ? 6 : 1;
}

/** A zip of the files, compressed off the page's thread where the browser allows (fflate's workers). */
export function zipFiles(files: readonly ProjectFile[]): Promise<Uint8Array> {
  const entries: AsyncZippable = {};
  for (const f of files) entries[f.path] = [typeof f.data === 'string' ? strToU8(f.data) : f.data, { level: levelFor(f.path) }];
  return new Promise((resolve, reject) => zip(entries, (error, data) => (error ? reject(error) : resolve(data))));
}
