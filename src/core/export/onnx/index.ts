/**
 * ONNX export: every network each sampler of a graph runs (samplerNetworks)
 * as one ONNX model, `<sampler>.<network>.onnx`, traced from TF.js at a
 * fixed batch (trace.ts) and translated kernel by kernel (kernels.ts), plus
 * onnx.json describing each file. Pure: the caller supplies the weights and
 * writes the files where it likes (the CLI to a folder, the app into a zip).
 * docs/export.md ("ONNX") says what each file is and how to run it.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { diagnostic, type Diagnostic } from '../../base/diagnostics.ts';
import type { Program } from '../../compiler/program.ts';
import { samplerName, samplerOf, type SamplerPlan } from '../../nodes/sampler-types.ts';
import type { PyValue } from '../../base/python.ts';
import { samplerNetworks } from '../sampler-networks.ts';
import { traceNetworks, type TraceDType, type TraceRequest } from './trace.ts';
import { translateTrace } from './translate.ts';
import { OPSET } from './writer.ts';

export { TRACE_BACKEND } from './trace.ts';
export { OPSET };

export interface OnnxTensorInfo {
  name: string;
  dtype: TraceDType;
  shape: number[];
  /** Integer inputs: the ids it takes run over 0..ids−1, when the graph says. */
  ids?: number;
  /** What the value is. */
  about?: string;
}

export interface OnnxFile {
  /** The file name: `<sampler>.<network>.onnx`. */
  name: string;
  bytes: Uint8Array;
  sampler: string;
  /** The sampler's kind of loop ('prior', 'ddpm', 'autoregressive', ...). */
  kind: string;
  network: string;
  /** What the network is, in a sentence. */
  about: string;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** The loop that runs the network, as the PyTorch export's gencomposer.sampling names it, with its settings. */
  loop?: { function: string; args: Readonly<Record<string, PyValue>> };
}

export type OnnxExportResult = { ok: true; files: OnnxFile[] } | { ok: false; diagnostics: Diagnostic[] };

export interface OnnxExportOptions {
  /** The batch every model is traced at, and so takes (default 1). */
  batch?: number;
}

/** The largest batch a model may be traced at. */
export const MAX_ONNX_BATCH = 4096;

/** Networks that only read data (a held-out batch's labels) are not exported: a loop needs none of them. */
const DATA_ONLY = new Set(['held_out_labels']);

const ABOUT_NETWORK: Readonly<Record<string, string>> = {
  decode: 'the generator the prior sampler runs: from a latent z drawn from a normal distribution to a sample',
  denoise: 'the denoiser a DDPM or DDIM loop runs at every step: from the noisy sample x_t and its step t to the predicted noise',
  schedule: 'the noise schedule, one row per step: beta, alpha, alpha-bar (the loop reads it once)',
  logits: 'next-token scores at every position, given the tokens so far (the loop reads the position it is at, draws a token, writes it at the next)',
  scores: 'scores at every position, given the values so far (the loop fills one position at a time, in raster order)',
  invert: 'the flow run backwards: from a latent z drawn from a normal distribution to data',
  after: "the nodes after the sampler's loop, run on what the loop produced (x)",
};

const ABOUT_INPUT: Readonly<Record<string, string>> = {
  z: 'the latent',
  x_t: 'the noisy sample at step t',
  t: 'the step of each example',
  tokens: 'token ids so far (the loop writes each drawn token at the next position)',
  values: 'the values so far (positions not yet drawn hold anything: the scores of a position read only the positions before it)',
  labels: 'the class label of each example',
  x: "the sampler loop's output",
};

/** File-name safe: a sampler inside a module is `placement/node`. */
const fileStem = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, '_');

function place(plan: SamplerPlan): { node: string; module?: string } {
  return { node: plan.op.origin.node, ...(plan.op.origin.module ? { module: plan.op.origin.module } : {}) };
}

/**
 * Every sampler network of `program` as an ONNX model, at a fixed batch,
 * with `variables` (by variable key; any backend) as its weights. The trace
 * runs on a backend of its own and makes the previous one current again.
 */
export async function exportOnnx(program: Program, variables: ReadonlyMap<string, tf.Tensor>, options: OnnxExportOptions = {}): Promise<OnnxExportResult> {
  const batch = options.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_ONNX_BATCH) throw new RangeError(`batch must be an integer from 1 to ${MAX_ONNX_BATCH}`);
  const diagnostics: Diagnostic[] = [];
  const requests: TraceRequest[] = [];
  for (const plan of program.samplers) {
    const networks = samplerNetworks(plan);
    if (!networks) {
      diagnostics.push(diagnostic('GC301', { to: 'ONNX', reason: `sampler kind ${plan.op.kind} does not say which networks its loop runs` }, place(plan)));
      continue;
    }
    for (const network of networks) if (!DATA_ONLY.has(network.name)) requests.push({ plan, sampler: samplerName(plan), network });
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics };

  // The weights the networks read, as numbers: the trace makes its own tensors of them.
  const weights = new Map<string, Float32Array>();
  for (const [key, tensor] of variables) weights.set(key, (await tensor.data()) as Float32Array);
  const traces = traceNetworks(program, requests, weights, batch);

  const files: OnnxFile[] = [];
  const values = { valueOf: (key: string) => program.analysis.values.get(key) };
  traces.forEach((traced, i) => {
    const { plan, sampler, network } = requests[i]!;
    if (!traced.ok) {
      diagnostics.push(diagnostic('GC303', { sampler, network: network.name, reason: traced.reason }, place(plan)));
      return;
    }
    const trace = traced.trace;
    const about = ABOUT_NETWORK[network.name] ?? `the ${network.name} network`;
    const name = `${fileStem(sampler)}.${fileStem(network.name)}.onnx`;
    const translated = translateTrace(trace, network.name, `GenComposer sampler ${sampler} (${plan.kind}), network ${network.name}: ${about}. Traced at batch ${batch}.`, {
      'gencomposer.sampler': sampler,
      'gencomposer.network': network.name,
      'gencomposer.batch': String(batch),
    });
    if (!translated.ok) {
      diagnostics.push(diagnostic('GC302', { sampler, network: network.name, kernel: translated.kernel, detail: translated.detail ?? '' }, place(plan)));
      return;
    }
    const form = samplerOf(plan).export;
    files.push({
      name,
      bytes: translated.bytes,
      sampler,
      kind: plan.kind,
      network: network.name,
      about,
      inputs: trace.inputs.map((input) => ({
        name: input.name,
        dtype: input.dtype,
        shape: input.shape,
        ...(input.ids !== undefined ? { ids: input.ids } : {}),
        about: ABOUT_INPUT[input.name] ?? `the batch of Data or Input node ${input.name}`,
      })),
      outputs: [{ name: translated.output.name, dtype: translated.output.dtype as TraceDType, shape: [...translated.output.shape] }],
      ...(form ? { loop: form.torch(plan.op.params, plan, values) } : {}),
    });
  });
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  return { ok: true, files };
}

/** onnx.json: what each file is, its inputs and output, the batch, where the weights came from. */
export function onnxManifest(program: Program, files: readonly OnnxFile[], options: { batch: number; weightsFrom: string }): string {
  const manifest = {
    format: 'gencomposer.onnx',
    graph: program.document.meta.name,
    opset: OPSET,
    batch: options.batch,
    weights: options.weightsFrom,
    files: files.map((f) => ({
      file: f.name,
      sampler: f.sampler,
      kind: f.kind,
      network: f.network,
      about: f.about,
      inputs: f.inputs,
      outputs: f.outputs,
      ...(f.loop ? { loop: f.loop } : {}),
    })),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
