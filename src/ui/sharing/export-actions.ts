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
import { exportPytorchProject, refusalText, type ExportSources } from './pytorch-export.ts';

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

/**
 * Share ▸ Export ▸ PyTorch project (.zip): downloads the project of the
 * graph on screen. Returns the file name, or undefined when nothing was
 * downloaded (a notice says why).
 */
export async function downloadPytorchProject(sources: ExportSources = appExportSources(), download: (blob: Blob, fileName: string) => void = downloadBlob): Promise<string | undefined> {
  if (exporting) {
    notify('info', 'An export is still being prepared; it downloads when ready.');
    return undefined;
  }
  exporting = true;
  try {
    const { document, analysis } = getEditor();
    const result = await exportPytorchProject(document, analysis, sources);
    if (!result.ok) {
      notify('error', refusalText(result));
      return undefined;
    }
    download(new Blob([result.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), result.fileName);
    const count = result.missingData.length;
    const missing = count ? ` ${count === 1 ? 'One data file of yours is' : `${count} data files of yours are`} not in it (README.md says why and where ${count === 1 ? 'it goes' : 'they go'}).` : '';
    notify('info', `Exported ${result.fileName} (${result.files.length} files): weights.safetensors holds ${result.weightsFrom}.${missing}`);
    return result.fileName;
  } finally {
    exporting = false;
  }
}

/**
 * Share ▸ Export ▸ ONNX models (.zip): every network the graph's samplers
 * run, with onnx.json. Returns the file name, or undefined when nothing was
 * downloaded (a notice says why).
 */
export async function downloadOnnxModels(sources: Pick<ExportSources, 'weights'> = appExportSources(), download: (blob: Blob, fileName: string) => void = downloadBlob): Promise<string | undefined> {
  if (exporting) {
    notify('info', 'An export is still being prepared; it downloads when ready.');
    return undefined;
  }
  exporting = true;
  try {
    const { document, analysis } = getEditor();
    const result = await exportOnnxModels(document, analysis, sources);
    if (!result.ok) {
      notify('error', refusalText(result));
      return undefined;
    }
    download(new Blob([result.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), result.fileName);
    const models = result.files.length - 1;
    notify('info', `Exported ${result.fileName} (${models} ONNX model${models === 1 ? '' : 's'} and onnx.json, batch 1): the networks hold ${result.weightsFrom}.`);
    return result.fileName;
  } finally {
    exporting = false;
  }
}
