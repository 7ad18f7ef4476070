/**
 * Records what TF.js computes when a sampler's network runs once: every
 * kernel call (its name, inputs, attributes and outputs), on a backend of
 * its own ('onnx-trace') whose kernels are the CPU backend's, each wrapped
 * to write down the call. The network runs exactly as sampling runs it
 * (runOps over its ops with its inputs substituted; a flow's inverse
 * through its sampler kind's `invert`), at a fixed batch.
 *
 * A tensor that no recorded kernel produced is an input (the tensors fed
 * in), a variable (an ONNX initializer named by its variable key) or a
 * constant made inside a node's forward (a mask, a scalar): its values are
 * read when a kernel first uses it. A value is named by its data and its
 * shape and dtype together, since TF.js's Reshape hands back the same data
 * under another shape.
 *
 * What cannot be traced is refused, never guessed: reading a value that
 * depends on the inputs back into JavaScript (the numbers would be baked
 * in), and drawing random numbers (they would be frozen).
 */
import '@tensorflow/tfjs-backend-cpu';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { nameRecord } from '../../base/names.ts';
import { concrete } from '../../base/shape.ts';
import type { RandomSource } from '../../base/random.ts';
import { runOps, variableKey } from '../../compiler/forward.ts';
import type { Program } from '../../compiler/program.ts';
import { tokenIdRanges } from '../../compiler/token-ids.ts';
import { samplerOf, type SamplerNetwork, type SamplerOp, type SamplerPlan, type SamplerRunContext } from '../../nodes/sampler-types.ts';
import type { FlatOp } from '../../shapes/analyze.ts';
import { networkOps } from '../sampler-networks.ts';

/** The backend the networks run on while they are traced; it exists only during a trace. */
export const TRACE_BACKEND = 'onnx-trace';

export type TraceDType = 'float32' | 'int32' | 'bool';

export interface TraceValue {
  shape: number[];
  dtype: TraceDType;
}

/** An input of a network: what its loop supplies (z, x_t, t, tokens, labels...) or a Data feed it reads (`<node>_<port>`). */
export interface TraceInput extends TraceValue {
  name: string;
  /** The graph value it takes the place of. */
  key: string;
  /** For integer inputs: ids run over 0..ids−1, when the graph says. */
  ids?: number;
}

export interface TraceConstant extends TraceValue {
  name: string;
  values: Float32Array | Int32Array | Uint8Array;
  /** The variable key, for weights. */
  variable?: string;
}

/** One kernel call: its inputs by the kernel's input names (in TF.js's order), and its outputs. */
export interface TraceCall {
  kernel: string;
  inputs: { port: string; value: string }[];
  attrs: Readonly<Record<string, unknown>>;
  outputs: string[];
}

export interface NetworkTrace {
  sampler: string;
  network: string;
  batch: number;
  inputs: TraceInput[];
  /** The value the network ends at. */
  output: string;
  calls: TraceCall[];
  constants: TraceConstant[];
  /** Every value's shape and dtype, by name: inputs, constants and kernel outputs. */
  values: Map<string, TraceValue>;
}

export type TraceResult = { ok: true; trace: NetworkTrace } | { ok: false; reason: string };

/** A network to trace, and the sampler that runs it. */
export interface TraceRequest {
  plan: SamplerPlan;
  sampler: string;
  network: SamplerNetwork;
}

interface Recorder {
  /** Kernels running now: calls made from inside a kernel belong to it. */
  depth: number;
  record(kernel: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined, outputs: tf.TensorInfo | tf.TensorInfo[], backend: TracingBackend): void;
  read(dataId: object): void;
}

/** The recorder of the trace in progress; the kernels and the backend report to it. */
let recorder: Recorder | undefined;

/** The CPU backend, telling the recorder when a value is read back into JavaScript. */
class TracingBackend extends MathBackendCPU {
  override readSync(dataId: object): ReturnType<MathBackendCPU['readSync']> {
    if (recorder && recorder.depth === 0) recorder.read(dataId);
    return super.readSync(dataId);
  }
  override read(dataId: object): ReturnType<MathBackendCPU['read']> {
    if (recorder && recorder.depth === 0) recorder.read(dataId);
    return super.read(dataId);
  }
  /** Reads a constant's values without counting it as a read-back. */
  constantValues(dataId: object): ReturnType<MathBackendCPU['readSync']> {
    return super.readSync(dataId);
  }
}

let kernelsRegistered = false;

/** The CPU backend's kernels under the trace backend's name, each recording its top-level calls. */
function registerTraceKernels(): void {
  if (kernelsRegistered) return;
  for (const config of tf.getKernelsForBackend('cpu')) {
    const kernelFunc = config.kernelFunc;
    tf.registerKernel({
      ...config,
      backendName: TRACE_BACKEND,
      kernelFunc: (args) => {
        const r = recorder;
        if (!r) return kernelFunc(args);
        r.depth += 1;
        let out: tf.TensorInfo | tf.TensorInfo[];
        try {
          out = kernelFunc(args);
        } finally {
          r.depth -= 1;
        }
        if (r.depth === 0) r.record(config.kernelName, args.inputs, args.attrs, out, args.backend as TracingBackend);
        return out;
      },
    });
  }
  kernelsRegistered = true;
}

const DTYPES: Readonly<Record<string, TraceDType>> = { float32: 'float32', int32: 'int32', bool: 'bool' };

function traceDType(dtype: tf.DataType): TraceDType {
  const d = DTYPES[dtype];
  if (!d) throw new TraceRefusal(`it makes a ${dtype} tensor, which the export does not write`);
  return d;
}

/** A reason the network cannot be traced, thrown out of the run. */
class TraceRefusal extends Error {}

/** The inputs of a network at `batch`: what its loop supplies, then the Data and Input feeds its ops read. */
export function networkInputs(program: Program, network: SamplerNetwork, batch: number): TraceInput[] {
  const values = program.analysis.values;
  const ranges = tokenIdRanges(program.analysis);
  const ops = networkOps(network) as readonly FlatOp[];
  const read = new Set(ops.flatMap((op) => Object.values(op.inputs)));
  const supplied = new Set(network.inputs.map((i) => i.key));
  const describe = (name: string, key: string): TraceInput => {
    const info = values.get(key);
    if (!info) throw new Error(`network ${network.name}: no value ${key}`);
    const dtype: TraceDType = info.type === 'tokens' ? 'int32' : 'float32';
    const ids = dtype === 'int32' ? (ranges.get(key)?.count ?? scheduleSteps(program, key)) : undefined;
    return { name, key, shape: concrete(info.shape, batch), dtype, ...(ids !== undefined ? { ids } : {}) };
  };
  const inputs = network.inputs.map((i) => describe(i.name, i.key));
  for (const op of ops) {
    if (op.kind !== 'Data' && op.kind !== 'Input') continue;
    for (const [port, key] of Object.entries(op.outputs)) {
      if (read.has(key) && !supplied.has(key)) inputs.push(describe(`${op.id.replace(/[^A-Za-z0-9_]/g, '_')}_${port}`, key));
    }
  }
  return inputs;
}

/** A diffusion step t counts the steps of the schedule its Diffuse node reads. */
function scheduleSteps(program: Program, key: string): number | undefined {
  const producer = program.producers.get(key);
  if (producer?.kind !== 'Diffuse' || producer.outputs.t !== key) return undefined;
  const steps = program.analysis.values.get(producer.inputs.schedule!)?.shape[0];
  return typeof steps === 'number' ? steps : undefined;
}

/** Values to trace with: fixed pseudo-random numbers, ids inside their range. */
export function exampleValues(input: TraceValue & { ids?: number }, seed: number): Float32Array | Int32Array {
  const n = input.shape.reduce((a, b) => a * b, 1);
  let state = (seed * 2654435761) >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  if (input.dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(next() * (input.ids ?? 1)));
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
}

/** What the recorder learns while one network runs. */
class Recording implements Recorder {
  depth = 0;
  readonly calls: TraceCall[] = [];
  readonly constants: TraceConstant[] = [];
  readonly values = new Map<string, TraceValue>();
  /** Names by data, one per shape and dtype seen with it. */
  private readonly names = new Map<object, { shape: number[]; dtype: string; name: string }[]>();
  /** Data computed from the inputs: reading it back would bake one run's numbers into the model. */
  private readonly derived = new Set<object>();
  private counter = 0;
  refusal: string | undefined;

  name(info: tf.TensorInfo): string | undefined {
    return this.names.get(info.dataId)?.find((e) => e.dtype === info.dtype && sameShape(e.shape, info.shape))?.name;
  }

  private add(info: tf.TensorInfo, name: string): void {
    const list = this.names.get(info.dataId) ?? [];
    list.push({ shape: [...info.shape], dtype: info.dtype, name });
    this.names.set(info.dataId, list);
    this.values.set(name, { shape: [...info.shape], dtype: traceDType(info.dtype) });
  }

  input(t: tf.Tensor, name: string): void {
    this.add(t, name);
    this.derived.add(t.dataId);
  }

  variable(t: tf.Tensor, key: string, values: Float32Array): void {
    this.add(t, key);
    this.constants.push({ name: key, shape: [...t.shape], dtype: 'float32', values, variable: key });
  }

  record(kernel: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined, outputs: tf.TensorInfo | tf.TensorInfo[], backend: TracingBackend): void {
    if (this.refusal) return;
    try {
      const named: TraceCall['inputs'] = [];
      let derived = false;
      for (const [port, info] of Object.entries(inputs)) {
        if (!info) continue;
        let name = this.name(info);
        if (name === undefined) {
          name = `const:${this.constants.length}`;
          const dtype = traceDType(info.dtype);
          const values = backend.constantValues(info.dataId);
          this.constants.push({ name, shape: [...info.shape], dtype, values: copyValues(values, dtype) });
          this.add(info, name);
        }
        if (this.derived.has(info.dataId)) derived = true;
        named.push({ port, value: name });
      }
      const list = Array.isArray(outputs) ? outputs : [outputs];
      // A kernel that hands back an input as it is (Identity, a Reshape to the same shape) adds nothing.
      if (list.every((o) => this.name(o) !== undefined)) return;
      const outNames = list.map((o) => {
        if (this.name(o) !== undefined) throw new TraceRefusal(`TF.js kernel ${kernel} returns one of its inputs beside new values`);
        const name = `${kernel}:${this.counter++}`;
        this.add(o, name);
        if (derived) this.derived.add(o.dataId);
        return name;
      });
      this.calls.push({ kernel, inputs: named, attrs: { ...(attrs ?? {}) }, outputs: outNames });
    } catch (error) {
      this.refusal = error instanceof Error ? error.message : String(error);
    }
  }

  read(dataId: object): void {
    if (this.derived.has(dataId)) this.refusal ??= 'it reads a value computed from its inputs back into JavaScript while it runs, so the numbers of one run would be written into the model';
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function copyValues(values: ReturnType<MathBackendCPU['readSync']>, dtype: TraceDType): TraceConstant['values'] {
  if (dtype === 'float32') return Float32Array.from(values as Float32Array);
  if (dtype === 'int32') return Int32Array.from(values as Int32Array);
  return Uint8Array.from(values as Uint8Array);
}

/** Random draws would be frozen into the model: a network that draws is refused. */
function refusingRandom(recording: Recording): RandomSource & { rng: { normal(): number; uniform(): number } } {
  const refuse = (): never => {
    recording.refusal ??= 'it draws random numbers while it runs (a noise or dropout node on its path), which the export would freeze';
    throw new TraceRefusal(recording.refusal);
  };
  return { normal: refuse, uniform: refuse, integers: refuse, rng: { normal: refuse, uniform: refuse } };
}

/**
 * Runs a network once, as sampling runs it: its ops with its inputs (by
 * input name) substituted and its Data feeds given, or for a flow its
 * sampler kind's `invert`. Returns its output; the caller disposes every
 * tensor made (run it inside tf.tidy).
 */
export function runNetwork(
  program: Program,
  plan: SamplerPlan,
  network: SamplerNetwork,
  variables: ReadonlyMap<string, tf.Tensor>,
  inputs: ReadonlyMap<string, tf.Tensor>,
  batch: number,
  random: RandomSource & { rng: SamplerRunContext<unknown>['rng'] },
): tf.Tensor {
  const analysis = program.analysis;
  const ops = networkOps(network) as readonly FlatOp[];
  const fed = new Map<string, tf.Tensor>();
  for (const input of networkInputs(program, network, batch)) {
    const t = inputs.get(input.name);
    if (!t) throw new Error(`network ${network.name}: no tensor for input ${input.name}`);
    fed.set(input.key, t);
  }
  const feeds = nameRecord<Record<string, tf.Tensor>>();
  for (const op of ops) {
    if (op.kind !== 'Data' && op.kind !== 'Input') continue;
    const ports = nameRecord<tf.Tensor>();
    // Ports the network does not read get zeros of their shape: the Data node hands out every port.
    for (const [port, key] of Object.entries(op.outputs)) {
      const info = analysis.values.get(key)!;
      ports[port] = fed.get(key) ?? tf.zeros(concrete(info.shape, batch), info.type === 'tokens' ? 'int32' : 'float32');
    }
    feeds[op.id] = ports;
  }
  const run = (some: readonly SamplerOp[], values: Map<string, tf.Tensor>) => {
    // What the loop supplies besides the main input (the labels) goes in where the ops read it.
    for (const [key, t] of fed) if (!values.has(key) && some.some((op) => Object.values(op.inputs).includes(key))) values.set(key, t);
    return runOps(some as readonly FlatOp[], analysis, { variables, feeds, batchSize: batch, training: false, random }, values);
  };
  if (network.inverse) {
    const inverse = samplerOf(plan).inverse;
    if (!inverse) throw new Error(`network ${network.name} runs backwards, but its sampler has no inverse`);
    const ctx: SamplerRunContext<unknown> = {
      params: plan.op.params,
      count: batch,
      random,
      rng: random.rng,
      runOps: (some, values) => run(some, values),
      shapeOf: (key) => concrete(analysis.values.get(key)!.shape, batch),
      variablesOf: (op) => Object.fromEntries(op.variables.map((spec) => [spec.name, variables.get(variableKey(op as FlatOp, spec))!])),
    };
    return inverse.invert(ctx, plan, fed.get(network.inputs[0]!.key)!);
  }
  const values = new Map<string, tf.Tensor>();
  for (const input of network.inputs) values.set(input.key, fed.get(input.key)!);
  const result = run(network.ops, values).get(network.output);
  if (!result) throw new Error(`network ${network.name} did not compute ${network.output}`);
  return result;
}

/** The variables a network's ops read, by key, with their shapes (a tied variable's is its lender's). */
export function networkVariables(program: Program, network: SamplerNetwork): Map<string, number[]> {
  const shapes = new Map(program.variables.map((v) => [v.key, v.shape]));
  const out = new Map<string, number[]>();
  for (const op of networkOps(network) as readonly FlatOp[]) {
    for (const spec of op.variables) {
      const key = variableKey(op, spec);
      out.set(key, shapes.get(key) ?? spec.shape);
    }
  }
  return out;
}

/** What a traced body gets: its inputs by name, the weights by variable key, a random source that refuses. */
export type TraceBody = (inputs: ReadonlyMap<string, tf.Tensor>, variables: ReadonlyMap<string, tf.Tensor>, random: RandomSource & { rng: SamplerRunContext<unknown>['rng'] }) => tf.Tensor;

type Recorded = Omit<NetworkTrace, 'sampler' | 'network' | 'batch' | 'inputs'>;

/**
 * Runs `body` on the trace backend (already active) with example inputs and
 * the weights, and records it. Everything it makes is disposed before it returns.
 */
function recordBody(inputs: readonly TraceInput[], weights: ReadonlyMap<string, { values: Float32Array; shape: number[] }>, body: TraceBody): { ok: true; recorded: Recorded } | { ok: false; reason: string } {
  const recording = new Recording();
  let output: string | undefined;
  recorder = recording;
  try {
    tf.tidy(() => {
      const fed = new Map<string, tf.Tensor>();
      inputs.forEach((input, i) => {
        const t = tf.tensor(exampleValues(input, i + 1), input.shape, input.dtype);
        recording.input(t, input.name);
        fed.set(input.name, t);
      });
      const variables = new Map<string, tf.Tensor>();
      for (const [key, { values, shape }] of weights) {
        const t = tf.tensor(values, shape, 'float32');
        recording.variable(t, key, values);
        variables.set(key, t);
      }
      const result = body(fed, variables, refusingRandom(recording));
      output = recording.name(result);
      if (output === undefined && !recording.refusal) {
        // An end that no kernel computed: a constant made in JavaScript.
        const dtype = traceDType(result.dtype);
        output = `const:${recording.constants.length}`;
        recording.constants.push({ name: output, shape: [...result.shape], dtype, values: copyValues((tf.engine().backend as TracingBackend).constantValues(result.dataId), dtype) });
        recording.values.set(output, { shape: [...result.shape], dtype });
      }
    });
  } catch (error) {
    if (!recording.refusal) {
      if (error instanceof TraceRefusal) recording.refusal = error.message;
      else throw error;
    }
  } finally {
    recorder = undefined;
  }
  if (recording.refusal) return { ok: false, reason: recording.refusal };
  return { ok: true, recorded: { output: output!, calls: recording.calls, constants: recording.constants, values: recording.values } };
}

/**
 * Runs `trace` with the trace backend current, then makes the previous
 * backend current again (also on error) and removes the trace backend.
 * Synchronous from switching to switching back, so nothing else runs on it
 * meanwhile.
 */
function onTraceBackend<T>(trace: () => T): T {
  registerTraceKernels();
  const previous = tf.getBackend();
  if (tf.findBackendFactory(TRACE_BACKEND) === null) tf.registerBackend(TRACE_BACKEND, () => new TracingBackend(), -1);
  try {
    // A CPU backend starts at once, so the switch is done when setBackend returns.
    void tf.setBackend(TRACE_BACKEND);
    if (tf.getBackend() !== TRACE_BACKEND) throw new Error('the ONNX trace backend did not start');
    return trace();
  } finally {
    if (previous && previous !== TRACE_BACKEND) void tf.setBackend(previous);
    tf.removeBackend(TRACE_BACKEND);
  }
}

/** Traces each network at `batch` with `weights` (by variable key). */
export function traceNetworks(program: Program, requests: readonly TraceRequest[], weights: ReadonlyMap<string, Float32Array>, batch: number): TraceResult[] {
  return onTraceBackend(() =>
    requests.map(({ plan, sampler, network }): TraceResult => {
      const inputs = networkInputs(program, network, batch);
      const read = new Map<string, { values: Float32Array; shape: number[] }>();
      for (const [key, shape] of networkVariables(program, network)) {
        const values = weights.get(key);
        if (!values) throw new Error(`no weights for variable ${key}`);
        read.set(key, { values, shape });
      }
      const recorded = recordBody(inputs, read, (fed, variables, random) => runNetwork(program, plan, network, variables, fed, batch, random));
      if (!recorded.ok) return recorded;
      return { ok: true, trace: { sampler, network: network.name, batch, inputs, ...recorded.recorded } };
    }),
  );
}

/** Traces any TF.js computation of `inputs` (the kernel tests use it): `body` gets example tensors of them by name. */
export function traceFunction(name: string, inputs: readonly TraceInput[], body: (inputs: ReadonlyMap<string, tf.Tensor>) => tf.Tensor): TraceResult {
  return onTraceBackend(() => {
    const recorded = recordBody(inputs, new Map(), (fed) => body(fed));
    if (!recorded.ok) return recorded;
    return { ok: true, trace: { sampler: name, network: name, batch: inputs[0]?.shape[0] ?? 1, inputs: [...inputs], ...recorded.recorded } };
  });
}
