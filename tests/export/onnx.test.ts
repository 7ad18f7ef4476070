/**
 * ONNX export: every sampler network of every preset, run in onnxruntime,
 * computes what TF.js computes for the same network on the same inputs
 * (the seed's initial weights, and those weights moved a little so that
 * layers starting at zero compute something; batch 2), within 1e-4 of the
 * output's largest magnitude. The inputs differ from those the trace ran on, so a
 * number of the trace written into a model would show. Kernels the presets
 * do not reach are checked one by one the same way; refusals name the
 * sampler, the network and the kernel; the trace backend leaves the backend
 * and the tensor count as it found them.
 */
import '@tensorflow/tfjs-backend-cpu';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../src/core/base/random.ts';
import { createVariables } from '../../src/core/compiler/forward.ts';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import { exportOnnx, onnxManifest, type OnnxFile } from '../../src/core/export/onnx/index.ts';
import { exampleValues, networkInputs, runNetwork, traceFunction, TRACE_BACKEND, type TraceInput } from '../../src/core/export/onnx/trace.ts';
import { translateTrace } from '../../src/core/export/onnx/translate.ts';
import { samplerNetworks } from '../../src/core/export/sampler-networks.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { samplerName, type SamplerOp, type SamplerPlan } from '../../src/core/nodes/sampler-types.ts';
import type { ForwardContext, NodeDefinition } from '../../src/core/nodes/types.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';

tf.env().set('PROD', true);

const PRESETS = fileURLToPath(new URL('../../graph-presets/', import.meta.url));
const BATCH = 2;
const RELATIVE = 1e-4;

function loadPreset(file: string): Program {
  const loaded = loadText(readFileSync(join(PRESETS, file), 'utf8'));
  if (!loaded.ok) throw new Error(`${file}: ${loaded.diagnostics[0]?.message}`);
  const compiled = compile(loaded.document, analyze(loaded.document));
  if (!compiled.ok) throw new Error(`${file}: ${compiled.diagnostics.find((d) => d.severity === 'error')?.message}`);
  return compiled.program;
}

const presets = readdirSync(PRESETS)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .filter((f) => loadPreset(f).samplers.length > 0);

type Values = Float32Array | Int32Array | Uint8Array;

/** Runs a model in onnxruntime (one thread) on named inputs; returns its one output. */
async function runOnnx(bytes: Uint8Array, feeds: Record<string, { dtype: 'float32' | 'int32' | 'bool'; shape: number[]; values: Values }>): Promise<{ dims: readonly number[]; data: ArrayLike<number>; type: string }> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const tensors = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new ort.Tensor(f.dtype, f.values, f.shape)]));
    const out = await session.run(tensors);
    const only = out[session.outputNames[0]!]!;
    const data = only.type === 'bool' ? Array.from(only.data as Uint8Array, Number) : (only.data as ArrayLike<number>);
    return { dims: only.dims, data, type: only.type };
  } finally {
    await session.release();
  }
}

/** The largest difference, relative to the largest magnitude TF.js computed (0 for equal outputs). */
function relativeDifference(want: ArrayLike<number>, got: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    const d = Math.abs(want[i]! - got[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
  }
  return diff === 0 ? 0 : diff / Math.max(scale, 1e-12);
}

/** Largest relative difference per preset, printed at the end (the numbers the docs quote). */
const measured: string[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(() => {
  if (measured.length > 0) console.log(`ONNX against TF.js (largest difference relative to the output's largest magnitude):\n${measured.join('\n')}`);
});

/** Every variable moved by a small random amount: layers that start at zero (a flow's coupling outputs) then compute something. */
function moved(variables: ReadonlyMap<string, tf.Variable>): Map<string, tf.Tensor> {
  const random = createRandom(3);
  return new Map([...variables].map(([key, v]) => [key, tf.tidy(() => tf.add(v, tf.mul(random.normal(v.shape), 0.05)))]));
}

/** Exports a program's sampler networks at BATCH and checks each in onnxruntime against TF.js; returns the largest difference. */
async function checkPreset(program: Program, variables: ReadonlyMap<string, tf.Tensor>): Promise<{ worst: number; files: OnnxFile[] }> {
  const before = tf.memory().numTensors;
  const result = await exportOnnx(program, variables, { batch: BATCH });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  // The trace backend is gone and took its tensors with it.
  expect(tf.getBackend()).toBe('cpu');
  expect(tf.memory().numTensors).toBe(before);
  // One file per network the loops run; a held-out batch's labels only read data.
  const expected = program.samplers.flatMap((plan) => samplerNetworks(plan)!.filter((n) => n.name !== 'held_out_labels').map((n) => `${samplerName(plan)}.${n.name}.onnx`));
  expect(result.files.map((f) => f.name)).toEqual(expected);
  let worst = 0;
  for (const f of result.files) {
    const plan = program.samplers.find((p) => samplerName(p) === f.sampler)!;
    const network = samplerNetworks(plan)!.find((n) => n.name === f.network)!;
    const inputs = networkInputs(program, network, BATCH);
    expect(f.inputs.map((i) => i.name)).toEqual(inputs.map((i) => i.name));
    const values = inputs.map((input, i) => exampleValues(input, 100 + i));
    const want = tf.tidy(() => {
      const fed = new Map(inputs.map((input, i) => [input.name, tf.tensor(values[i]!, input.shape, input.dtype)]));
      const out = runNetwork(program, plan, network, variables, fed, BATCH, createRandom(0));
      return { shape: out.shape, data: out.dataSync() };
    });
    const got = await runOnnx(f.bytes, Object.fromEntries(inputs.map((input, i) => [input.name, { dtype: input.dtype, shape: input.shape, values: values[i]! }])));
    expect([...got.dims], f.name).toEqual(want.shape);
    expect([...got.dims]).toEqual(f.outputs[0]!.shape);
    expect(f.outputs[0]!.name).toBe(f.network);
    const rel = relativeDifference(want.data, got.data);
    expect(rel, f.name).toBeLessThanOrEqual(RELATIVE);
    worst = Math.max(worst, rel);
  }
  return { worst, files: result.files };
}

describe('every preset sampler network, in onnxruntime', () => {
  it.each(presets)('%s', async (file) => {
    const program = loadPreset(file);
    const initial = createVariables(program.analysis, program.document.training.seed);
    const other = moved(initial);
    try {
      const first = await checkPreset(program, initial);
      const second = await checkPreset(program, other);
      measured.push(`  ${file}: ${first.worst.toExponential(1)} initial, ${second.worst.toExponential(1)} moved weights (${first.files.map((f) => f.name).join(', ')})`);
      // onnx.json names every file with its inputs and output.
      const manifest = JSON.parse(onnxManifest(program, first.files, { batch: BATCH, weightsFrom: 'the initial weights' })) as { batch: number; files: { file: string; inputs: { name: string }[] }[] };
      expect(manifest.batch).toBe(BATCH);
      expect(manifest.files.map((f) => f.file)).toEqual(first.files.map((f) => f.name));
      expect(manifest.files.map((f) => f.inputs.map((i) => i.name))).toEqual(first.files.map((f) => f.inputs.map((i) => i.name)));
    } finally {
      tf.dispose([...initial.values(), ...other.values()]);
    }
  });
});

interface KernelCase {
  name: string;
  inputs: TraceInput[];
  body: (x: ReadonlyMap<string, tf.Tensor>) => tf.Tensor;
}

const f32 = (name: string, shape: number[]): TraceInput => ({ name, key: name, shape, dtype: 'float32' });
const i32 = (name: string, shape: number[], ids: number): TraceInput => ({ name, key: name, shape, dtype: 'int32', ids });
const one = (name: string, inputs: TraceInput[], body: KernelCase['body']): KernelCase => ({ name, inputs, body });
const X = (m: ReadonlyMap<string, tf.Tensor>, name = 'x') => m.get(name)!;
/** Strictly positive values from any input. */
const positive = (t: tf.Tensor) => tf.add(tf.abs(t), 0.1);

const KERNEL_CASES: KernelCase[] = [
  one('conv2d same, stride 2', [f32('x', [2, 7, 7, 3]), f32('w', [3, 3, 3, 4])], (m) => tf.conv2d(X(m) as tf.Tensor4D, X(m, 'w') as tf.Tensor4D, 2, 'same')),
  one('conv2d valid, dilated', [f32('x', [1, 9, 8, 2]), f32('w', [3, 2, 2, 3])], (m) => tf.conv2d(X(m) as tf.Tensor4D, X(m, 'w') as tf.Tensor4D, 1, 'valid', 'NHWC', 2)),
  one('conv2d explicit padding', [f32('x', [1, 5, 5, 1]), f32('w', [3, 3, 1, 2])], (m) =>
    tf.conv2d(X(m) as tf.Tensor4D, X(m, 'w') as tf.Tensor4D, 1, [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ]),
  ),
  one('fused conv2d, bias, leaky relu', [f32('x', [1, 6, 6, 2]), f32('w', [3, 3, 2, 3]), f32('b', [3])], (m) =>
    tf.fused.conv2d({ x: X(m) as tf.Tensor4D, filter: X(m, 'w') as tf.Tensor4D, strides: 1, pad: 'same', bias: X(m, 'b'), activation: 'leakyrelu', leakyreluAlpha: 0.3 }),
  ),
  one('depthwise conv2d', [f32('x', [2, 6, 6, 2]), f32('w', [3, 3, 2, 2])], (m) => tf.depthwiseConv2d(X(m) as tf.Tensor4D, X(m, 'w') as tf.Tensor4D, 1, 'same')),
  one('fused depthwise conv2d, relu6', [f32('x', [1, 5, 5, 3]), f32('w', [2, 2, 3, 1]), f32('b', [3])], (m) =>
    tf.fused.depthwiseConv2d({ x: X(m) as tf.Tensor4D, filter: X(m, 'w') as tf.Tensor4D, strides: 2, pad: 'valid', bias: X(m, 'b'), activation: 'relu6' }),
  ),
  one('conv2d transpose same, stride 2', [f32('x', [2, 4, 4, 3]), f32('w', [5, 5, 2, 3])], (m) => tf.conv2dTranspose(X(m) as tf.Tensor4D, X(m, 'w') as tf.Tensor4D, [2, 8, 8, 2], 2, 'same')),
  one('conv2d transpose valid, stride 2', [f32('x', [1, 3, 3, 2]), f32('w', [3, 3, 1, 2])], (m) => tf.conv2dTranspose(X(m) as tf.Tensor4D, X(m, 'w') as tf.Tensor4D, [1, 7, 7, 1], 2, 'valid')),
  one('max pool same', [f32('x', [2, 5, 5, 2])], (m) => tf.maxPool(X(m) as tf.Tensor4D, 3, 2, 'same')),
  one('avg pool same (padding not counted)', [f32('x', [2, 5, 5, 2])], (m) => tf.avgPool(X(m) as tf.Tensor4D, 3, 2, 'same')),
  one('batched matMul, transposed, broadcast', [f32('a', [2, 4, 3]), f32('b', [5, 4])], (m) => tf.matMul(X(m, 'a'), X(m, 'b'), true, true)),
  one('fused matMul, bias, elu', [f32('a', [3, 4]), f32('b', [4, 2]), f32('c', [2])], (m) =>
    tf.fused.matMul({ a: X(m, 'a') as tf.Tensor2D, b: X(m, 'b') as tf.Tensor2D, bias: X(m, 'c'), activation: 'elu' }),
  ),
  one('fused matMul, prelu', [f32('a', [3, 4]), f32('b', [4, 2]), f32('p', [2])], (m) =>
    tf.fused.matMul({ a: X(m, 'a') as tf.Tensor2D, b: X(m, 'b') as tf.Tensor2D, activation: 'prelu', preluActivationWeights: X(m, 'p') }),
  ),
  one('einsum', [f32('a', [2, 3, 4]), f32('b', [2, 4, 5])], (m) => tf.einsum('bij,bjk->bik', X(m, 'a'), X(m, 'b'))),
  one('strided slice, backwards with masks', [f32('x', [3, 6, 4])], (m) => tf.stridedSlice(X(m), [0, -1, 1], [0, 0, 0], [1, -2, 1], 1, 6, 0, 0, 4)),
  one('slice, reverse, tile', [f32('x', [2, 5, 3])], (m) => tf.tile(tf.reverse(tf.slice(X(m), [0, 1, 0], [2, 3, -1]), [1, 2]), [1, 2, 1])),
  one('pad and mirror pad', [f32('x', [2, 3, 4])], (m) =>
    tf.mirrorPad(
      tf.pad(X(m), [
        [0, 0],
        [1, 2],
        [2, 0],
      ], 0.5),
      [
        [0, 0],
        [2, 1],
        [1, 1],
      ],
      'reflect',
    ),
  ),
  one('concat, stack, unstack, split', [f32('x', [2, 3, 4]), f32('y', [2, 3, 2])], (m) => {
    const joined = tf.concat([X(m), X(m, 'y')], -1);
    const [a, b] = tf.split(joined, [2, 4], 2);
    return tf.stack([tf.unstack(a!, 1)[2]!, tf.slice(b!, [0, 0, 0], [2, 3, 2]).sum(1)], 1);
  }),
  one('cumsum, exclusive and reversed', [f32('x', [2, 5])], (m) => tf.add(tf.cumsum(X(m), 1, true, true), tf.cumsum(X(m), 0))),
  one('top k indices', [f32('x', [3, 7])], (m) => tf.topk(X(m), 3).indices),
  one('top k values', [f32('x', [3, 7])], (m) => tf.topk(X(m), 3).values),
  one('one-hot, ids out of range give zeros', [i32('ids', [2, 4], 9)], (m) => tf.oneHot(tf.sub(X(m, 'ids'), tf.scalar(2, 'int32')), 5, 3, -1)),
  one('gather, gatherND', [f32('x', [4, 5, 3]), i32('ids', [2, 3], 4)], (m) => tf.add(tf.gather(X(m), X(m, 'ids'), 0).sum(), tf.gatherND(X(m), tf.reshape(tf.slice(X(m, 'ids'), [0, 0], [2, 2]), [2, 2])).sum())),
  one('where, broadcast', [f32('x', [4, 3]), f32('y', [4, 3])], (m) => tf.where(tf.greater(tf.sum(X(m), 1, true), 0), X(m), X(m, 'y'))),
  one('reductions', [f32('x', [3, 4, 5])], (m) =>
    tf.concat([tf.max(X(m), [0, 2]), tf.min(X(m), 2, false).sum(1), tf.prod(X(m), 1).sum(0).slice(0, 4), tf.mean(X(m), [1, 2]).pad([[0, 1]])], 0),
  ),
  one('argmax, argmin, all, any', [f32('x', [3, 6])], (m) =>
    tf.stack([tf.argMax(X(m), 1), tf.argMin(X(m), 1), tf.cast(tf.all(tf.greater(X(m), -0.9), 1), 'int32'), tf.cast(tf.any(tf.greater(X(m), 0.8), 1), 'int32')]),
  ),
  one('integer division and floored modulo', [i32('a', [2, 6], 40), f32('x', [2, 6])], (m) => {
    const a = tf.sub(X(m, 'a'), 20);
    const ints = tf.cast(tf.floorDiv(a, tf.tensor1d([3, -3, 7, -7, 5, 2], 'int32')), 'float32');
    return tf.add(tf.add(ints, tf.mod(tf.mul(X(m), 5), tf.tensor1d([0.7, -0.7, 1.3, -1.3, 2, 0.3]))), tf.floorDiv(tf.mul(X(m), 4), 1.5));
  }),
  one('casts', [f32('x', [2, 6])], (m) => tf.add(tf.cast(tf.cast(tf.mul(X(m), 3), 'int32'), 'float32'), tf.cast(tf.cast(tf.round(X(m)), 'bool'), 'float32'))),
  one('comparisons and logic', [f32('x', [2, 5]), f32('y', [5])], (m) => {
    const a = tf.logicalAnd(tf.lessEqual(X(m), X(m, 'y')), tf.notEqual(X(m), 0));
    const b = tf.logicalOr(tf.logicalNot(tf.less(X(m), 0.2)), tf.equal(X(m), X(m, 'y')));
    return tf.add(tf.cast(a, 'float32'), tf.mul(tf.cast(tf.logicalAnd(b, tf.greaterEqual(X(m), -0.5)), 'float32'), 2));
  }),
  one('binary arithmetic', [f32('x', [2, 5]), f32('y', [5])], (m) =>
    tf.addN([tf.squaredDifference(X(m), X(m, 'y')), tf.pow(positive(X(m)), X(m, 'y')), tf.maximum(X(m), X(m, 'y')), tf.minimum(X(m), X(m, 'y')), tf.div(X(m), positive(X(m, 'y')))]),
  ),
  one('unary functions', [f32('x', [3, 4])], (m) => {
    const x = X(m);
    const p = positive(x);
    return tf.addN([
      tf.neg(x), tf.exp(x), tf.log(p), tf.sqrt(p), tf.rsqrt(p), tf.square(x), tf.reciprocal(p), tf.sin(x), tf.cos(x), tf.tan(x), tf.tanh(x),
      tf.sigmoid(x), tf.relu(x), tf.elu(x), tf.selu(x), tf.erf(x), tf.floor(tf.mul(x, 3)), tf.ceil(tf.mul(x, 3)), tf.round(tf.mul(x, 3)), tf.sign(x),
      tf.softplus(x), tf.log1p(p), tf.expm1(x), tf.leakyRelu(x, 0.1), tf.prelu(x, tf.tensor1d([0.1, 0.2, 0.3, 0.4])), tf.relu6(tf.mul(x, 8)),
      tf.clipByValue(x, -0.3, 0.4), tf.asin(tf.mul(x, 0.9)), tf.atan(x), tf.sinh(x), tf.cosh(x), tf.asinh(x), tf.acos(tf.mul(x, 0.9)),
      tf.acosh(tf.add(p, 1)), tf.atanh(tf.mul(x, 0.9)), tf.cast(tf.isNaN(tf.log(tf.sub(x, 0.2))), 'float32'),
    ]);
  }),
  one('softmax and log-softmax', [f32('x', [2, 3, 5])], (m) => tf.add(tf.softmax(X(m)), tf.logSoftmax(X(m)))),
  one('depth to space', [f32('x', [1, 2, 3, 8])], (m) => tf.depthToSpace(X(m) as tf.Tensor4D, 2)),
  one('fill, zeros like, range, linspace', [f32('x', [2, 4])], (m) =>
    tf.addN([X(m), tf.fill([2, 4], 0.25), tf.onesLike(X(m)), tf.zerosLike(X(m)), tf.broadcastTo(tf.add(tf.cast(tf.range(0, 4), 'float32'), tf.linspace(-1, 2, 4)), [2, 4])]),
  ),
];

describe('kernels in onnxruntime', () => {
  it.each(KERNEL_CASES.map((c) => [c.name, c] as const))('%s', async (_, kase) => {
    const traced = traceFunction('case', kase.inputs, kase.body);
    if (!traced.ok) throw new Error(traced.reason);
    const translated = translateTrace(traced.trace, 'out', 'a kernel case', {});
    if (!translated.ok) throw new Error(`no translation for ${translated.kernel} ${translated.detail ?? ''}`);
    const values = kase.inputs.map((input, i) => exampleValues(input, 100 + i));
    const want = tf.tidy(() => {
      const out = kase.body(new Map(kase.inputs.map((input, i) => [input.name, tf.tensor(values[i]!, input.shape, input.dtype)])));
      return { shape: out.shape, dtype: out.dtype, data: out.dataSync() };
    });
    const got = await runOnnx(translated.bytes, Object.fromEntries(kase.inputs.map((input, i) => [input.name, { dtype: input.dtype, shape: input.shape, values: values[i]! }])));
    expect([...got.dims]).toEqual(want.shape);
    expect(got.type).toBe(want.dtype);
    if (want.dtype === 'float32') expect(relativeDifference(want.data, got.data)).toBeLessThanOrEqual(RELATIVE);
    else expect(Array.from(got.data)).toEqual(Array.from(want.data));
  });
});

/** A copy of a preset's program whose sampler network runs `forward` in place of one op's own. */
function withFakeForward(program: Program, opId: string, forward: (ctx: ForwardContext<unknown>, own: NodeDefinition['forward']) => Record<string, tf.Tensor>): Program {
  const swap = (op: SamplerOp): SamplerOp => (op.id === opId ? { ...op, def: { ...op.def, forward: (ctx: ForwardContext<unknown>) => forward(ctx, op.def.forward) } as NodeDefinition } : op);
  const plans = program.samplers.map((plan) => ({ ...plan, ops: ((plan as SamplerPlan & { ops: SamplerOp[] }).ops ?? []).map(swap) }) as SamplerPlan);
  return { ...program, samplers: plans };
}

describe('what the export refuses', () => {
  const program = loadPreset('gan-2d.json');
  const generatorNode = program.samplers[0]!.op.origin.node;
  // The last op of the network the sampler decodes with.
  const last = samplerNetworks(program.samplers[0]!)![0]!.ops.at(-1)!.id;

  async function refusal(fake: Program): Promise<string[]> {
    const variables = createVariables(fake.analysis, 1);
    try {
      const before = tf.memory().numTensors;
      const result = await exportOnnx(fake, variables);
      expect(tf.getBackend()).toBe('cpu');
      expect(tf.memory().numTensors).toBe(before);
      expect(result.ok).toBe(false);
      return result.ok ? [] : result.diagnostics.map((d) => `${d.code}@${d.node}: ${d.message}`);
    } finally {
      tf.dispose([...variables.values()]);
    }
  }

  it('a kernel without a translation, naming the sampler, the network and the kernel (GC302)', async () => {
    // A fake node kind whose forward ends in a cumulative product: ONNX has no such operator.
    const fake = withFakeForward(program, last, (ctx, own) => {
      const out = own!(ctx);
      return Object.fromEntries(Object.entries(out).map(([port, t]) => [port, tf.cumprod(t, 1)]));
    });
    expect(await refusal(fake)).toEqual([`GC302@${generatorNode}: Export to ONNX cannot translate TF.js kernel Cumprod, which network "decode" of sampler "${generatorNode}" runs.`]);
  });

  it('a kind setting without a translation, naming it (GC302)', async () => {
    const fake = withFakeForward(program, last, (ctx, own) => {
      const out = own!(ctx);
      return Object.fromEntries(Object.entries(out).map(([port, t]) => [port, tf.mirrorPad(t, [[0, 0], [1, 1]], 'symmetric')]));
    });
    const [message] = await refusal(fake);
    expect(message).toContain('TF.js kernel MirrorPad (mode symmetric)');
  });

  it('reading values computed from the inputs back into JavaScript (GC303)', async () => {
    const fake = withFakeForward(program, last, (ctx, own) => {
      const out = own!(ctx);
      const [port, t] = Object.entries(out)[0]!;
      // A value-dependent step: the numbers of one run would be frozen into the model.
      return { [port]: tf.mul(t, (t.dataSync()[0]! > 0 ? 1 : -1)) };
    });
    expect(await refusal(fake)).toEqual([
      `GC303@${generatorNode}: Export to ONNX cannot trace network "decode" of sampler "${generatorNode}": it reads a value computed from its inputs back into JavaScript while it runs, so the numbers of one run would be written into the model.`,
    ]);
  });

  it('drawing random numbers (GC303)', async () => {
    const fake = withFakeForward(program, last, (ctx, own) => {
      const out = own!(ctx);
      const [port, t] = Object.entries(out)[0]!;
      return { [port]: tf.add(t, ctx.random.normal(t.shape)) };
    });
    const [message] = await refusal(fake);
    expect(message).toContain('draws random numbers while it runs');
  });

  it('restores the backend and frees its tensors when a node throws', async () => {
    const fake = withFakeForward(program, last, () => {
      throw new Error('a broken node');
    });
    const variables = createVariables(fake.analysis, 1);
    const before = tf.memory().numTensors;
    await expect(exportOnnx(fake, variables)).rejects.toThrow('a broken node');
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.engine().registryFactory[TRACE_BACKEND]).toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...variables.values()]);
  });
});

describe('exported files', () => {
  it('name their inputs and output, and say what the network is', async () => {
    const program = loadPreset('cgan.json');
    const variables = createVariables(program.analysis, program.document.training.seed);
    const result = await exportOnnx(program, variables);
    tf.dispose([...variables.values()]);
    if (!result.ok) throw new Error(result.diagnostics[0]!.message);
    const [decode] = result.files as [OnnxFile];
    expect(decode.name).toBe('sampler.decode.onnx');
    expect(decode.inputs.map((i) => [i.name, i.dtype, i.shape, i.ids])).toEqual([
      ['z', 'float32', [1, 100], undefined],
      ['labels', 'int32', [1], 10],
    ]);
    expect(decode.outputs).toEqual([{ name: 'decode', dtype: 'float32', shape: [1, 28, 28, 1] }]);
    expect(decode.loop?.function).toBe('prior');
  });
});
