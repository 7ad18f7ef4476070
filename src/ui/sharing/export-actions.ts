/// <reference types="vite/client" />
/**
 * The Share menu's exports, as the person sees them: the graph on screen
 * becomes a download, or a notice says why not (one line per problem,
 * naming the node) and nothing is downloaded.
 */
import { readAttachedFile } from '../../storage/user-files.ts';
import { notify } from '../notices.ts';
import { getEditor } from '../store/editor-store.ts';
import { weightsForExport } from '../training/training-client.ts';
import { downloadBlob } from './downloads.ts';
import { exportOnnxModels } from './onnx-export.ts';
import { exportPytorchProject, refusalText, type ExportRefusal, type ExportSources } from './pytorch-export.ts';

/** A file shipped with the app, from where the page is served. */
async function readAsset(path: string): Promise<Uint8Array> {
  const url = new URL(`${import.meta.env.BASE_URL}${path}`, location.href);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The app's own sources: the training worker's weights, the served data files, the files attached in this browser. */
export function appExportSources(): ExportSources {
  return { weights: weightsForExport, readAsset, readUserFile: readAttachedFile };
}

/** One export at a time: a second click while one is prepared would only download the same again. */
let exporting = false;

type Prepared = { ok: true; zip: Uint8Array; fileName: string } | ExportRefusal;

/** Prepares an export of the graph on screen and downloads it, or shows why not; `done` words the notice of a download. */
async function exportAndDownload<T extends Prepared>(
  prepare: (editor: ReturnType<typeof getEditor>) => Promise<T>,
  done: (result: Extract<T, { ok: true }>) => string,
  download: (blob: Blob, fileName: string) => void,
): Promise<string | undefined> {
  if (exporting) {
    notify('info', 'An export is still being prepared; it downloads when ready.');
    return undefined;
  }
  exporting = true;
  try {
    const result = await prepare(getEditor());
    if (!result.ok) {
      notify('error', refusalText(result));
      return undefined;
    }
    const ready = result as Extract<T, { ok: true }>;
    download(new Blob([ready.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), ready.fileName);
    notify('info', done(ready));
    return ready.fileName;
  } finally {
    exporting = false;
  }
}

/**
 * Share ▸ Export ▸ PyTorch project (.zip): downloads the project of the
 * graph on screen. Returns the file name, or undefined when nothing was
 * downloaded (a notice says why).
 */
export function downloadPytorchProject(sources: ExportSources = appExportSources(), download: (blob: Blob, fileName: string) => void = downloadBlob): Promise<string | undefined> {
  return exportAndDownload(
    ({ document, analysis }) => exportPytorchProject(document, analysis, sources),
    (result) => {
      const count = result.missingData.length;
      const missing = count ? ` ${count === 1 ? 'One data file of yours is' : `${count} data files of yours are`} not in it (README.md says why and where ${count === 1 ? 'it goes' : 'they go'}).` : '';
      return `Exported ${result.fileName} (${result.files.length} files): weights.safetensors holds ${result.weightsFrom}.${missing}`;
    },
    download,
  );
}

/**
 * Share ▸ Export ▸ ONNX models (.zip): every network the graph's samplers
 * run, with onnx.json. Returns the file name, or undefined when nothing was
 * downloaded (a notice says why).
 */
export function downloadOnnxModels(sources: Pick<ExportSources, 'weights'> = appExportSources(), download: (blob: Blob, fileName: string) => void = downloadBlob): Promise<string | undefined> {
  return exportAndDownload(
    ({ document, analysis }) => exportOnnxModels(document, analysis, sources),
    (result) => {
      const models = result.files.length - 1;
      return `Exported ${result.fileName} (${models} ONNX model${models === 1 ? '' : 's'} and onnx.json, batch 1): the networks hold ${result.weightsFrom}.`;
    },
    download,
  );
}
