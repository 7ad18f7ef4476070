/**
 * Share ▸ Export ▸ PyTorch project and "Load weights…" with PyTorch's
 * safetensors, without a browser: the zip holds what `gencomposer export`
 * writes for the same document; a graph the export cannot write is refused
 * with its GC301 lines and nothing downloads; weights loaded from a
 * safetensors file reach the training worker's runner (here in Node, behind
 * a stand-in Worker) and come back out of the next export unchanged; a bad
 * file is refused in one line and the weights held before stay.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { exportCommand } from '../../src/cli/export.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { UserFileMissingError } from '../../src/core/data/user-file.ts';
import { writeTorchModel } from '../../src/core/export/pytorch/model.ts';
import { initialWeights } from '../../src/core/export/pytorch/project.ts';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../src/core/export/safetensors.ts';
import { compile } from '../../src/core/compiler/program.ts';
import { saveDocument } from '../../src/core/graph/save.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { saveCheckpoint, type Checkpoint, type CheckpointManifest } from '../../src/core/train/checkpoint.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { checkpointKeys, type CheckpointInfo, type CheckpointStore } from '../../src/storage/checkpoints.ts';
import { useNotices } from '../../src/ui/notices.ts';
import { downloadOnnxModels, downloadPytorchProject } from '../../src/ui/sharing/export-actions.ts';
import { fileStem } from '../../src/ui/sharing/downloads.ts';
import { exportOnnxModels } from '../../src/ui/sharing/onnx-export.ts';
import { exportPytorchProject, PYTHON_LIBRARY, refusalText, type ExportSources } from '../../src/ui/sharing/pytorch-export.ts';
import { getEditor } from '../../src/ui/store/editor-store.ts';
import { loadWeightsFiles, setTrainingOverrides, weightsForExport } from '../../src/ui/training/training-client.ts';
import { getTraining } from '../../src/ui/training/training-store.ts';
import { checkpointFromSafetensors, variablesOfCheckpoint } from '../../src/ui/training/weights-files.ts';
import { TrainingRunner } from '../../src/worker/runner.ts';
import type { ExportCheckpoint, WorkerEvent } from '../../src/worker/protocol.ts';
import { lossInModule, makeDocument } from '../documents.ts';
import { preset } from './ui-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'gencomposer-ui-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const notices = () => useNotices.getState().notices;
const lastNotice = () => notices().at(-1);

const noUserFiles: ExportSources['readUserFile'] = async (name) => {
  throw new UserFileMissingError(`the data file "${name}" is not attached in this browser`);
};
/** Sources with no trained weights: the seed's initial ones are exported. */
const untrained = (weights: ExportSources['weights'] = async () => undefined): ExportSources => ({ weights, readAsset: readPublicAsset, readUserFile: noUserFiles });

/** The files of a zip, by their path inside its top folder. */
function unzipProject(zip: Uint8Array, folder: string): Map<string, Uint8Array> {
  const entries = unzipSync(zip);
  const out = new Map<string, Uint8Array>();
  for (const [path, bytes] of Object.entries(entries)) {
    expect(path.startsWith(`${folder}/`), path).toBe(true);
    out.set(path.slice(folder.length + 1), bytes);
  }
  return out;
}

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

/** Every file under a folder, by its path inside it. */
function readTree(root: string, prefix = ''): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [p, b] of readTree(root, path)) out.set(p, b);
    else out.set(path, new Uint8Array(readFileSync(join(root, path))));
  }
  return out;
}

/** A tied autoencoder on two moons: it trains, but has no sampler. */
function tiedDenses(): GraphDocument {
  return makeDocument(
    [
      { id: 'data', kind: 'Data', params: { dataset: 'two-moons' } },
      { id: 'a', kind: 'Dense', params: { units: 2 } },
      { id: 'b', kind: 'Dense', params: { units: 2, tiedTo: 'a' } },
      { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
    ],
    ['data.x->a.x', 'a.y->b.x', 'b.y->loss.prediction', 'data.x->loss.target'],
  );
}

beforeEach(() => useNotices.setState({ notices: [] }));

describe('Share ▸ Export ▸ PyTorch project', () => {
  it('zips exactly the files `gencomposer export --to pytorch` writes for the same document', async () => {
    getEditor().replaceDocument(preset('vae'));
    const { document, analysis } = getEditor();
    const result = await exportPytorchProject(document, analysis, untrained());
    if (!result.ok) throw new Error(refusalText(result));
    expect(result.fileName).toBe('mlp-vae-on-mnist-pytorch.zip');
    const zipped = unzipProject(result.zip, 'mlp-vae-on-mnist');
    for (const f of ['model.py', 'train.py', 'README.md', 'requirements.txt', 'weights.safetensors', 'data/mnist.bin']) expect(zipped.has(f), f).toBe(true);
    const library = readdirSync('python/gencomposer').filter((f) => f.endsWith('.py'));
    expect(Object.keys(PYTHON_LIBRARY).sort()).toEqual(library.sort());
    for (const f of library) expect(text(zipped.get(`gencomposer/${f}`)), f).toBe(readFileSync(`python/gencomposer/${f}`, 'utf8'));

    // The CLI on the same document, saved as a file.
    const file = join(dir, 'vae.json');
    writeFileSync(file, saveDocument(document));
    const out = join(dir, 'cli-vae');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await exportCommand([file, '--to', 'pytorch', '--out', out])).toBe(0);
    } finally {
      log.mockRestore();
    }
    const written = readTree(out);
    expect([...zipped.keys()].sort()).toEqual([...written.keys()].sort());
    expect(text(zipped.get('model.py'))).toBe(text(written.get('model.py')));
    for (const [path, bytes] of written) expect(Buffer.from(zipped.get(path)!).equals(Buffer.from(bytes)), path).toBe(true);
    expect(result.weightsFrom).toBe('the initial weights of seed 0');
  }, 120_000);

  it('writes the weights the app holds for the graph, under model.py\'s names', async () => {
    getEditor().replaceDocument(preset('flow'));
    const { document, analysis } = getEditor();
    const compiled = compile(document, analysis);
    if (!compiled.ok) throw new Error('flow does not compile');
    await tf.setBackend('cpu');
    const session = new TrainingSession(compiled.program, () => ({}));
    // Weights unlike the initial ones, as if trained.
    for (const variable of session.variables.values()) variable.assign(tf.add(variable, 0.25));
    session.step = 40;
    const checkpoint = await saveCheckpoint(session);
    const trained = new Map([...session.variables].map(([key, v]) => [key, v.dataSync() as Float32Array]));
    session.dispose();
    const result = await exportPytorchProject(document, analysis, untrained(async () => ({ step: 40, manifest: checkpoint.manifest, weights: checkpoint.weights, source: 'stored' })));
    if (!result.ok) throw new Error(refusalText(result));
    expect(result.weightsFrom).toBe('the weights trained in GenComposer to step 40');
    const files = unzipProject(result.zip, 'realnvp-on-two-moons');
    expect(text(files.get('README.md'))).toContain('weights.safetensors holds the weights trained in GenComposer to step 40');
    // The file loads back as the same weights.
    const back = checkpointFromSafetensors(files.get('weights.safetensors')!, 'weights.safetensors', document, analysis);
    if (!back.ok) throw new Error(back.message);
    const values = variablesOfCheckpoint(compiled.program, back.checkpoint.manifest, back.checkpoint.weights);
    expect([...values.keys()]).toEqual([...trained.keys()]);
    for (const [key, v] of trained) expect(values.get(key), key).toEqual(v);
  });

  it('refuses a graph the export cannot write with its GC301 line naming the node, and downloads nothing', async () => {
    getEditor().replaceDocument(lossInModule());
    expect(getEditor().analysis.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const weights = vi.fn(async () => undefined);
    const download = vi.fn();
    expect(await downloadPytorchProject(untrained(weights), download)).toBeUndefined();
    expect(download).not.toHaveBeenCalled();
    // No weights are fetched for a graph that cannot be written.
    expect(weights).not.toHaveBeenCalled();
    const notice = lastNotice()!;
    expect(notice.kind).toBe('error');
    const [head, ...lines] = notice.text.split('\n');
    expect(head).toBe('“test” cannot be exported as a PyTorch project; nothing was downloaded.');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^• Head › inner_loss: Export to PyTorch cannot write this node: a loss inside a module .* \(GC301\)$/);
    for (const line of lines) expect(line).toMatch(/^• .+ \(GC\d{3}\)$/);
  });

  it('refuses a graph with problems, listing them, and downloads nothing', async () => {
    const broken = makeDocument([{ id: 'fc', kind: 'Dense', params: { units: 2 } }]);
    getEditor().replaceDocument(broken);
    const download = vi.fn();
    expect(await downloadPytorchProject(untrained(), download)).toBeUndefined();
    expect(download).not.toHaveBeenCalled();
    expect(lastNotice()?.text).toMatch(/^“test” cannot be exported until its problems are fixed; nothing was downloaded\.\n• fc(\.x)?: .+ \(GC102\)/);
  });

  it('downloads the zip under the graph\'s name and says what the weights are; a user file not attached is named in README.md', async () => {
    const doc = makeDocument(
      [
        { id: 'data', kind: 'Data', params: { dataset: 'csv', file: 'points.csv', columns: 2 } },
        { id: 'fc', kind: 'Dense', params: { units: 2 } },
        { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
      ],
      ['data.x->fc.x', 'fc.y->loss.prediction', 'data.x->loss.target'],
      { meta: { name: 'Ünïcode / points?', description: '', family: 'custom' } },
    );
    getEditor().replaceDocument(doc);
    if (getEditor().analysis.diagnostics.some((d) => d.severity === 'error')) throw new Error(JSON.stringify(getEditor().analysis.diagnostics));
    const download = vi.fn();
    expect(await downloadPytorchProject(untrained(), download)).toBe('unicode-points-pytorch.zip');
    expect(download).toHaveBeenCalledTimes(1);
    const [blob, name] = download.mock.calls[0]! as [Blob, string];
    expect(name).toBe('unicode-points-pytorch.zip');
    const files = unzipProject(new Uint8Array(await blob.arrayBuffer()), 'unicode-points');
    expect(files.has('data/points.csv')).toBe(false);
    expect(text(files.get('README.md'))).toMatch(/## Data files to add[\s\S]*- data\/points\.csv \(read by data\): the data file "points\.csv" is not attached/);
    expect(lastNotice()).toMatchObject({ kind: 'info' });
    expect(lastNotice()!.text).toBe(`Exported unicode-points-pytorch.zip (${files.size} files): weights.safetensors holds the initial weights of seed 0. One data file of yours is not in it (README.md says why and where it goes).`);
  });
});

/** diffusion-2d with a weight average (ema), trained 3 steps: the checkpoint a run hands an export (as the worker's exportWeights does). */
async function trainedWithAverages(): Promise<{ document: GraphDocument; checkpoint: ExportCheckpoint }> {
  const base = preset('diffusion-2d');
  const document: GraphDocument = {
    ...base,
    training: { ...base.training, objectives: base.training.objectives.map((o) => ({ ...o, optimizer: { ...o.optimizer, ema: 0.9 } })) },
  };
  const compiled = compile(document);
  if (!compiled.ok) throw new Error('diffusion-2d does not compile');
  await tf.setBackend('cpu');
  const session = new TrainingSession(compiled.program, streamBatches(await openProgramData(compiled.program, readPublicAsset)), 8);
  try {
    for (let i = 0; i < 3; i++) session.trainStep();
    const { manifest, weights } = await saveCheckpoint(session);
    return { document, checkpoint: { step: session.step, manifest, weights, source: 'run' } };
  } finally {
    session.dispose();
  }
}

/** The checkpoint as `gencomposer export --checkpoint DIR` reads it. */
function checkpointDir(checkpoint: ExportCheckpoint, name: string): string {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'model.json'), JSON.stringify(checkpoint.manifest));
  writeFileSync(join(out, 'weights.bin'), new Uint8Array(checkpoint.weights));
  return out;
}

async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    return await run();
  } finally {
    log.mockRestore();
  }
}

describe('exports of trained weights and their averages, as the CLI writes them from the checkpoint', () => {
  let trained: { document: GraphDocument; checkpoint: ExportCheckpoint };
  let file: string;
  let checkpoint: string;

  beforeAll(async () => {
    trained = await trainedWithAverages();
    file = join(dir, 'diffusion-ema.json');
    writeFileSync(file, saveDocument(trained.document));
    checkpoint = checkpointDir(trained.checkpoint, 'diffusion-ema-checkpoint');
  }, 120_000);

  it('the PyTorch project: weights.safetensors and averaged.safetensors hold the CLI\'s numbers, the other files its bytes', async () => {
    getEditor().replaceDocument(trained.document);
    const { document, analysis } = getEditor();
    const result = await exportPytorchProject(document, analysis, untrained(async () => trained.checkpoint));
    if (!result.ok) throw new Error(refusalText(result));
    expect(result.weightsFrom).toBe('the weights trained in GenComposer to step 3');
    const zipped = unzipProject(result.zip, 'diffusion-on-8-gaussians');
    const out = join(dir, 'cli-diffusion-ema');
    expect(await quietly(() => exportCommand([file, '--to', 'pytorch', '--out', out, '--checkpoint', checkpoint]))).toBe(0);
    const written = readTree(out);
    expect([...zipped.keys()].sort()).toEqual([...written.keys()].sort());
    expect(zipped.has('averaged.safetensors')).toBe(true);
    for (const [path, bytes] of written) {
      if (path.endsWith('.safetensors')) {
        // The same tensors; only the metadata's words for where they came from differ.
        const ours = decodeSafetensors(zipped.get(path)!).tensors;
        const theirs = decodeSafetensors(bytes).tensors;
        expect(ours.map((t) => [t.name, t.shape]), path).toEqual(theirs.map((t) => [t.name, t.shape]));
        ours.forEach((t, k) => expect(Buffer.from(t.data.buffer).equals(Buffer.from(theirs[k]!.data.buffer)), `${path}: ${t.name}`).toBe(true));
      } else if (path !== 'README.md') {
        expect(Buffer.from(zipped.get(path)!).equals(Buffer.from(bytes)), path).toBe(true);
      }
    }
    // The averages are not the weights: the export took them from the optimizer's state.
    const weights = decodeSafetensors(zipped.get('weights.safetensors')!).tensors;
    const averaged = decodeSafetensors(zipped.get('averaged.safetensors')!).tensors;
    expect(weights.some((t, k) => !Buffer.from(t.data.buffer).equals(Buffer.from(averaged[k]!.data.buffer)))).toBe(true);
  }, 120_000);

  it('ONNX models: the files `gencomposer export --to onnx --checkpoint` writes, from the weight averages', async () => {
    getEditor().replaceDocument(trained.document);
    const download = vi.fn();
    expect(await downloadOnnxModels({ weights: async () => trained.checkpoint }, download)).toBe('diffusion-on-8-gaussians-onnx.zip');
    const [blob] = download.mock.calls[0]! as [Blob, string];
    const zipped = unzipProject(new Uint8Array(await blob.arrayBuffer()), 'diffusion-on-8-gaussians-onnx');
    const out = join(dir, 'cli-diffusion-onnx');
    expect(await quietly(() => exportCommand([file, '--to', 'onnx', '--out', out, '--checkpoint', checkpoint]))).toBe(0);
    const written = readTree(out);
    expect([...zipped.keys()].sort()).toEqual([...written.keys()].sort());
    expect([...zipped.keys()].filter((f) => f.endsWith('.onnx')).length).toBeGreaterThan(0);
    for (const [path, bytes] of written) if (path.endsWith('.onnx')) expect(Buffer.from(zipped.get(path)!).equals(Buffer.from(bytes)), path).toBe(true);
    const manifest = JSON.parse(text(zipped.get('onnx.json'))) as { weights: string; batch: number };
    expect(manifest).toMatchObject({ batch: 1, weights: 'the weights trained in GenComposer to step 3 (their averages where the graph keeps them)' });
    const { weights: _ours, ...ours } = manifest;
    const { weights: _theirs, ...theirs } = JSON.parse(text(written.get('onnx.json'))) as { weights: string };
    expect(ours).toEqual(theirs);
    expect(lastNotice()?.text).toMatch(/^Exported diffusion-on-8-gaussians-onnx\.zip \(\d+ ONNX models? and onnx\.json, batch 1\): the networks hold the weights trained in GenComposer to step 3 \(their averages where the graph keeps them\)\.$/);
  }, 120_000);

  it('ONNX models of an untrained graph are the CLI\'s, byte for byte; a graph without a sampler downloads nothing', async () => {
    getEditor().replaceDocument(preset('gan-2d'));
    const { document, analysis } = getEditor();
    const result = await exportOnnxModels(document, analysis, { weights: async () => undefined });
    if (!result.ok) throw new Error(refusalText(result));
    const gan = join(dir, 'gan-2d.json');
    writeFileSync(gan, saveDocument(document));
    const out = join(dir, 'cli-gan-onnx');
    expect(await quietly(() => exportCommand([gan, '--to', 'onnx', '--out', out]))).toBe(0);
    const written = readTree(out);
    const zipped = unzipProject(result.zip, `${fileStem(document.meta.name)}-onnx`);
    expect([...zipped.keys()].sort()).toEqual([...written.keys()].sort());
    for (const [path, bytes] of written) expect(Buffer.from(zipped.get(path)!).equals(Buffer.from(bytes)), path).toBe(true);

    getEditor().replaceDocument(tiedDenses());
    const download = vi.fn();
    expect(await downloadOnnxModels({ weights: async () => undefined }, download)).toBeUndefined();
    expect(download).not.toHaveBeenCalled();
    expect(lastNotice()).toMatchObject({ kind: 'error', text: '“test” has no sampler node, so it runs no network to export to ONNX; nothing was downloaded.' });
  }, 120_000);
});

// ---------------------------------------------------------------- the worker, in Node

function memoryStore(): CheckpointStore {
  const records = new Map<string, { checkpoint: Checkpoint; info: CheckpointInfo }>();
  return {
    info: async (key) => records.get(key)?.info,
    load: async (key) => records.get(key)?.checkpoint,
    save: async (key, checkpoint, info) => void records.set(key, { checkpoint: { manifest: checkpoint.manifest, weights: checkpoint.weights.slice(0) }, info }),
    remove: async (key) => void records.delete(key),
  };
}

/** Commands the page sent to the stand-in worker. */
const sent: { type: string }[] = [];
let idle: Promise<void> = Promise.resolve();

/** The training worker in this process: the page's messages go to a TrainingRunner on the cpu backend, one after another. */
class NodeWorker {
  onmessage: ((event: MessageEvent<WorkerEvent>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  private readonly runner = new TrainingRunner({
    post: (event) => this.onmessage?.({ data: event } as MessageEvent<WorkerEvent>),
    startBackend: async () => {
      await tf.setBackend('cpu');
      return {};
    },
    readAsset: readPublicAsset,
    store: memoryStore(),
  });
  postMessage(message: { type: string }): void {
    sent.push(message);
    idle = idle.then(() => this.runner.handle(message));
  }
  terminate(): void {
    this.runner.dispose();
  }
}

/** A file as the file picker hands it. */
const file = (bytes: Uint8Array, name: string) => new File([bytes as Uint8Array<ArrayBuffer>], name);

describe('"Load weights…" with a safetensors file', () => {
  let torchNames: NamedTensor[];
  let chosen: NamedTensor[];

  beforeAll(async () => {
    vi.stubGlobal('Worker', NodeWorker);
    setTrainingOverrides({ previewCount: 4, evalEvery: 0 });
    getEditor().replaceDocument(preset('flow'));
    const { document, analysis } = getEditor();
    const exported = await exportPytorchProject(document, analysis, untrained());
    if (!exported.ok) throw new Error(refusalText(exported));
    torchNames = decodeSafetensors(unzipProject(exported.zip, 'realnvp-on-two-moons').get('weights.safetensors')!).tensors;
    // Weights of its own (not the initial ones), as a PyTorch run would leave them.
    chosen = torchNames.map((t, i) => ({ ...t, data: (t.data as Float32Array).map((v, j) => v * 0.5 + ((i + j) % 7) * 0.01) }));
  });

  afterAll(() => {
    setTrainingOverrides({});
    vi.unstubAllGlobals();
  });

  it('the export and the loader agree on names: the exported weights.safetensors loads as the seed\'s initial weights', () => {
    const { document, analysis } = getEditor();
    const compiled = compile(document, analysis);
    if (!compiled.ok) throw new Error('flow does not compile');
    const result = checkpointFromSafetensors(encodeSafetensors(torchNames), 'weights.safetensors', document, analysis);
    if (!result.ok) throw new Error(result.message);
    expect(result.tensors).toBe(writeTorchModel(compiled.program).ok ? torchNames.length : -1);
    expect(result.checkpoint.manifest.step).toBe(0);
    const values = variablesOfCheckpoint(compiled.program, result.checkpoint.manifest, result.checkpoint.weights);
    for (const [key, v] of initialWeights(compiled.program)) expect(values.get(key), key).toEqual(v);
  });

  it('loads PyTorch weights as the current weights: previews draw with them, and the next export writes them back unchanged', async () => {
    await loadWeightsFiles([file(encodeSafetensors(chosen), 'trained.safetensors')]);
    expect(lastNotice()).toMatchObject({ kind: 'info' });
    expect(lastNotice()!.text).toMatch(/^Loaded \d+ PyTorch tensors from trained\.safetensors/);
    await idle;
    expect(getTraining().error).toBeUndefined();
    expect(getTraining().previews.length).toBeGreaterThan(0);
    // Stored as the graph's checkpoint at step 0, so a reload still has them.
    expect(getTraining().stored?.step).toBe(0);

    const held = await weightsForExport(getEditor().document);
    expect(held).toMatchObject({ step: 0, source: 'run' });
    const { document, analysis } = getEditor();
    const again = await exportPytorchProject(document, analysis, untrained(weightsForExport));
    if (!again.ok) throw new Error(refusalText(again));
    expect(again.weightsFrom).toBe('the weights loaded into GenComposer (step 0)');
    const back = decodeSafetensors(unzipProject(again.zip, 'realnvp-on-two-moons').get('weights.safetensors')!).tensors;
    expect(back.map((t) => t.name)).toEqual([...chosen].map((t) => t.name).sort());
    for (const t of back) expect(t.data, t.name).toEqual(chosen.find((c) => c.name === t.name)!.data);
  }, 60_000);

  it('refuses a bad file in one line naming it and what is wrong; the weights held before stay', async () => {
    const before = await weightsForExport(getEditor().document);
    const previews = getTraining().previews;
    const [first, ...rest] = chosen;
    const wrongShape = [{ ...first!, shape: [...first!.shape, 1] }, ...rest];
    const extra = [...chosen, { name: 'stray.weight', dtype: 'F32' as const, shape: [1], data: new Float32Array([1]) }];
    const nan = chosen.map((t, i) => (i === 0 ? { ...t, data: (t.data as Float32Array).map(() => Number.NaN) } : t));
    const cases: [Uint8Array, string, RegExp][] = [
      [encodeSafetensors(wrongShape), 'shape.safetensors', new RegExp(`^These weights cannot be loaded: shape\\.safetensors: tensor "${first!.name.replace(/\./g, '\\.')}" has shape \\[.*\\]; the graph's parameter has \\[.*\\]$`)],
      [encodeSafetensors(rest), 'missing.safetensors', new RegExp(`^These weights cannot be loaded: missing\\.safetensors has no tensor "${first!.name.replace(/\./g, '\\.')}" .*: was it written for another graph\\?$`)],
      [encodeSafetensors(extra), 'extra.safetensors', /^These weights cannot be loaded: extra\.safetensors holds tensors this graph does not have: "stray\.weight"$/],
      [new TextEncoder().encode('not weights at all, just some text\n'), 'garbage.safetensors', /^These weights cannot be loaded: garbage\.safetensors: its header claims \d+ bytes/],
      [encodeSafetensors(nan), 'nan.safetensors', /^These weights cannot be loaded: nan\.safetensors: its weights are not finite: "[^"]+" holds NaN/],
    ];
    for (const [bytes, name, message] of cases) {
      useNotices.setState({ notices: [] });
      const commands = sent.length;
      await loadWeightsFiles([file(bytes, name)]);
      const notice = lastNotice()!;
      expect(notice.kind, name).toBe('error');
      expect(notice.text, name).toMatch(message);
      expect(notice.text, name).not.toContain('\n');
      // Nothing went to the worker, and the panel is as it was.
      expect(sent.length, name).toBe(commands);
      expect(getTraining().previews, name).toBe(previews);
    }
    const after = await weightsForExport(getEditor().document);
    expect(new Uint8Array(after!.weights)).toEqual(new Uint8Array(before!.weights));
  }, 60_000);

  it('asks for one safetensors file on its own', async () => {
    const commands = sent.length;
    await loadWeightsFiles([file(encodeSafetensors(chosen), 'a.safetensors'), file(new Uint8Array(8), 'weights.bin')]);
    expect(lastNotice()).toMatchObject({ kind: 'error', text: 'Pick one .safetensors file on its own, or model.json with weights.bin.' });
    expect(sent.length).toBe(commands);
  });

  it('the worker hands an export the checkpoint stored for the graph when no run holds it, and nothing for a graph never trained', async () => {
    const store = memoryStore();
    const events: WorkerEvent[] = [];
    const runner = new TrainingRunner({ post: (event) => events.push(event), startBackend: async () => ({}), readAsset: readPublicAsset, store });
    const keys = checkpointKeys(getEditor().document);
    const stored: Checkpoint = { manifest: { step: 12 } as unknown as CheckpointManifest, weights: new ArrayBuffer(8) };
    await store.save(keys[0]!, stored, { step: 12, savedAt: '2026-01-01T00:00:00Z', graph: 'flow' });
    await runner.handle({ type: 'exportWeights', request: 7, keys });
    expect(events).toEqual([{ type: 'exportWeights', request: 7, checkpoint: { step: 12, manifest: stored.manifest, weights: stored.weights, source: 'stored' } }]);
    await runner.handle({ type: 'exportWeights', request: 8, keys: ['never-trained'] });
    expect(events[1]).toEqual({ type: 'exportWeights', request: 8 });
    await runner.handle({ type: 'exportWeights', request: 9, keys: [] });
    expect(events[2]).toMatchObject({ type: 'error', message: expect.stringMatching(/^bad command to the training worker: keys: /) });
  });
});
