/** Saving the graph as a file: JSON, or a PNG picture that carries the graph. */
import { saveDocument } from '../../core/graph/save.ts';
import type { GraphDocument } from '../../core/graph/schema.ts';
import { embedGraphInPng } from '../../core/graph/share.ts';
import { canvasPng, renderGraphPicture } from './graph-picture.ts';

/** A file name from the graph's name: `MLP VAE on MNIST` → `mlp-vae-on-mnist`. */
export function fileStem(name: string): string {
  const stem = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return stem || 'graph';
}

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked later: the download may still be reading it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function downloadJson(doc: GraphDocument): string {
  const fileName = `${fileStem(doc.meta.name)}.json`;
  downloadBlob(new Blob([saveDocument(doc)], { type: 'application/json' }), fileName);
  return fileName;
}

/** The picture of the graph with the graph inside it. */
export async function graphPng(doc: GraphDocument): Promise<Uint8Array> {
  const canvas = renderGraphPicture(doc, { title: doc.meta.name, scale: 2, maxWidth: 6000, maxHeight: 6000 });
  const embedded = embedGraphInPng(await canvasPng(canvas), doc);
  if (!embedded.ok) throw new Error(embedded.error.message);
  return embedded.png;
}

export async function downloadPng(doc: GraphDocument): Promise<string> {
  const fileName = `${fileStem(doc.meta.name)}.png`;
  const png = await graphPng(doc);
  downloadBlob(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }), fileName);
  return fileName;
}
