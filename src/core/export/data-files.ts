/**
 * The data files an exported PyTorch project needs beside its code: the
 * files shipped with GenComposer that the document's Data nodes read
 * (public/data/mnist.bin, public/data/names.txt) and the user's own files
 * the graph names (a CSV, a zip or folder of PNGs, a text file). All go to
 * the project's data/ folder, where gencomposer/data.py looks for them:
 * data/mnist.bin, data/names.txt, data/<file> for a user file.
 */
import { dataParamApplies, isUserDataset, zDataParams, type DatasetName } from '../data/datasets.ts';
import { MNIST_ASSET } from '../data/mnist.ts';
import { NAMES_ASSET } from '../data/names.ts';
import type { GraphDocument, GraphNode } from '../graph/schema.ts';

export type ExportedDataFile =
  /** A file shipped with GenComposer: `asset` is its path under public/ (what readPublicAsset reads). */
  | { kind: 'asset'; asset: string; path: string; nodes: string[] }
  /** A file of the user's own: `name` is the Data node's file param, read beside the graph file (or from --data). */
  | { kind: 'user'; name: string; path: string; nodes: string[] };

/** The project's data folder. */
export const EXPORT_DATA_DIR = 'data';

const ASSETS: Partial<Record<DatasetName, string>> = { mnist: MNIST_ASSET, names: NAMES_ASSET };

/** Every Data node of the document, top level and module bodies, with the path to name it by (`module/node` inside a module). */
function dataNodes(doc: GraphDocument): { where: string; node: GraphNode }[] {
  const out = doc.nodes.filter((n) => n.kind === 'Data').map((node) => ({ where: node.id, node }));
  for (const module of doc.modules) {
    for (const node of module.nodes) if (node.kind === 'Data') out.push({ where: `${module.id}/${node.id}`, node });
  }
  return out;
}

/**
 * The files the document's Data nodes read and where each goes in the
 * project, sorted by path, each once however many nodes read it. Throws
 * when a Data node's params are invalid, when a user file would land on
 * the path of a shipped file (a user file named mnist.bin beside a Data node
 * reading MNIST), and when one file's path is a folder of another's, since
 * the project could not hold both.
 */
export function exportedDataFiles(doc: GraphDocument): ExportedDataFile[] {
  const byPath = new Map<string, ExportedDataFile>();
  for (const { where, node } of dataNodes(doc)) {
    const parsed = zDataParams.safeParse(node.params);
    if (!parsed.success) throw new Error(`Data node "${where}" has invalid params: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ')}`);
    const p = parsed.data;
    let file: ExportedDataFile | undefined;
    const asset = ASSETS[p.dataset];
    if (asset) {
      file = { kind: 'asset', asset, path: `${EXPORT_DATA_DIR}/${asset.slice(asset.lastIndexOf('/') + 1)}`, nodes: [] };
    } else if (isUserDataset(p.dataset) && dataParamApplies(p.dataset, 'file')) {
      if (p.file === '') throw new Error(`Data node "${where}" reads a ${p.dataset} file of yours but names none: set its file param`);
      file = { kind: 'user', name: p.file, path: `${EXPORT_DATA_DIR}/${p.file}`, nodes: [] };
    }
    if (!file) continue;
    const known = byPath.get(file.path);
    if (known && (known.kind !== file.kind || (known.kind === 'asset' ? known.asset : known.name) !== (file.kind === 'asset' ? file.asset : file.name))) {
      throw new Error(`Data node "${where}" reads ${file.kind === 'user' ? `a file of yours named "${file.name}"` : `GenComposer's ${file.path}`}, which would land on ${file.path} where the export puts ${known.kind === 'user' ? `the file "${known.name}"` : `GenComposer's ${known.path}`}; rename the file`);
    }
    if (known) known.nodes.push(where);
    else byPath.set(file.path, { ...file, nodes: [where] });
  }
  const files = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // A file and a folder cannot share a path: "a" and "a/b.csv" cannot both be copied.
  for (const outer of files) {
    const inner = files.find((f) => f.path.startsWith(`${outer.path}/`));
    if (inner) throw new Error(`the data files ${outer.path} (read by ${outer.nodes.join(', ')}) and ${inner.path} (read by ${inner.nodes.join(', ')}) cannot both be in the project: one is inside the other; rename one`);
  }
  return files;
}
