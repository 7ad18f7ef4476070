/**
 * The wasm backend's training kernels (src/core/train/backends/wasm-kernels.ts)
 * against the cpu backend, and against identities that need no reference
 * backend at all. wasm-kernels-unpatched.test.ts shows what fails without them.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '../../src/core/train/gradients.ts';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createVariables, runForward } from '../../src/core/compiler/forward.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { hasErrors } from '../../src/core/base/diagnostics.ts';
import { registerWasmTrainingKernels, setIm2colChunkFloats, wasmTrainingKernels } from '../../src/core/train/backends/wasm-kernels.ts';
import { useWasmBackend } from '../../src/core/train/backends/wasm.node.ts';
import { createRandom, Rng } from '../../src/core/base/random.ts';
import { makeDocument, type NodeSketch } from '../helpers.ts';
import { compareWithCpu, makeValues, relError, runCase, type GradCase, type InputSpec } from './grad-check.ts';
import { convCase, convTransposeCase, depthwiseCase, gatherCase, poolCase, trainingOpCases } from './grad-cases.ts';

tf.env().set('PROD', true);

const TOLERANCE = 1e-4;

beforeAll(async () => {
  // Twice on purpose: both calls must be harmless.
  await useWasmBackend();
  await useWasmBackend();
});

async function expectMatchesCpu(c: GradCase): Promise<void> {
  const r = await compareWithCpu(c, 'wasm');
  expect(r.error, c.name).toBeUndefined();
  expect(r.grads.length, c.name).toBe(c.inputs.filter((s) => s.dtype !== 'int32').length);
  expect(r.worst, `${c.name}: forward ${r.forward}, grads ${r.grads.join(', ')}`).toBeLessThan(TOLERANCE);
}

interface KernelInput extends InputSpec {
  name: string;
  /** Fixed values instead of seeded ones. */
  values?: number[];
}

/** Runs one kernel directly on a backend, from seeded inputs. */
async function runKernelOn(backend: string, kernelName: string, inputs: KernelInput[], attrs: Record<string, unknown>, seed = 3) {
  await tf.setBackend(backend);
  const rng = new Rng(seed);
  return tf.tidy(() => {
    const named: Record<string, tf.Tensor> = {};
    for (const spec of inputs) {
      const values = spec.values ?? makeValues(spec, rng);
      named[spec.name] = tf.tensor(values, spec.shape, spec.dtype ?? 'float32');
    }
    const out = tf.engine().runKernel(kernelName, named, attrs as tf.NamedAttrMap) as tf.Tensor;
    return { shape: out.shape, dtype: out.dtype, values: Array.from(out.dataSync()) };
  });
}

async function expectKernelMatchesCpu(kernelName: string, inputs: KernelInput[], attrs: Record<string, unknown>): Promise<void> {
  const ref = await runKernelOn('cpu', kernelName, inputs, attrs);
  const got = await runKernelOn('wasm', kernelName, inputs, attrs);
  expect(got.shape).toEqual(ref.shape);
  expect(relError(got.values, ref.values), `${kernelName} ${JSON.stringify(attrs)}`).toBeLessThan(TOLERANCE);
}

/**
 * On wasm alone: for f positively homogeneous of degree 1 in its first input
 * (linear maps, max pooling), <x, d<f(x), dy>/dx> = <f(x), dy>.
 */
async function eulerGap(f: (x: tf.Tensor) => tf.Tensor, shape: number[], seed = 5): Promise<number> {
  await tf.setBackend('wasm');
  const rng = new Rng(seed);
  return tf.tidy(() => {
    const x = tf.tensor(makeValues({ shape }, rng), shape);
    const y = f(x);
    const dy = tf.tensor(makeValues({ shape: y.shape }, rng), y.shape);
    const g = tf.grad(f)(x, dy);
    const lhs = tf.sum(tf.mul(x, g)).dataSync()[0]!;
    const rhs = tf.sum(tf.mul(y, dy)).dataSync()[0]!;
    return Math.abs(lhs - rhs) / Math.max(1e-6, Math.abs(rhs));
  });
}

describe('registration', () => {
  it('puts every kernel in place, and calling again changes nothing and warns nothing', () => {
    for (const config of wasmTrainingKernels) expect(tf.getKernel(config.kernelName, 'wasm')?.kernelFunc).toBe(config.kernelFunc);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    tf.env().set('PROD', false);
    try {
      registerWasmTrainingKernels();
    } finally {
      tf.env().set('PROD', true);
      warn.mockRestore();
    }
    expect(warn).not.toHaveBeenCalled();
    for (const config of wasmTrainingKernels) expect(tf.getKernel(config.kernelName, 'wasm')?.kernelFunc).toBe(config.kernelFunc);
  });

  it('leaves the wasm backend active', async () => {
    await useWasmBackend();
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('memory', () => {
  it('frees every scratch tensor, in one chunk and in many', async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend;
    const x = tf.tensor4d(makeValues({ shape: [2, 7, 7, 3] }, new Rng(1)), [2, 7, 7, 3]);
    const w = tf.tensor4d(makeValues({ shape: [3, 3, 3, 4] }, new Rng(2)), [3, 3, 3, 4]);
    const table = tf.tensor2d(makeValues({ shape: [6, 3] }, new Rng(3)), [6, 3]);
    const ids = tf.tensor1d([1, 4, 4, 0], 'int32');
    const step = () =>
      tf.tidy(() => {
        const f = (a: tf.Tensor, b: tf.Tensor, t: tf.Tensor) => {
          const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same');
          const z = tf.conv2dTranspose(y, b as tf.Tensor4D, [2, 7, 7, 3], 2, 'same');
          return tf.addN([tf.sum(tf.maxPool(y, 2, 2, 'same')), tf.sum(tf.square(z)), tf.sum(tf.gather(t, ids))]);
        };
        return tf.grads(f)([x, w, table]).map((g) => g.dataSync().length);
      });
    step();
    const before = backend.numDataIds();
    step();
    const previous = setIm2colChunkFloats(40);
    try {
      step();
    } finally {
      setIm2colChunkFloats(previous);
    }
    expect(backend.numDataIds()).toBe(before);
    tf.dispose([x, w, table, ids]);
  });
});

describe('conv2d gradients (Conv2DBackpropFilter, Conv2DBackpropInput)', () => {
  const cases = [
    convCase([2, 7, 7, 3], [3, 3], 4, 1, 'same'),
    convCase([2, 7, 7, 3], [3, 3], 4, 1, 'valid'),
    convCase([2, 7, 7, 3], [3, 3], 4, 2, 'same'),
    convCase([2, 7, 7, 3], [3, 3], 4, 2, 'valid'),
    convCase([3, 5, 6, 4], [3, 3], 5, 2, 'same'),
    convCase([1, 8, 9, 2], [2, 2], 3, 2, 'same'),
    convCase([1, 9, 8, 2], [4, 4], 3, 2, 'same'),
    convCase([2, 9, 9, 1], [5, 5], 2, 2, 'valid'),
    convCase([2, 6, 7, 3], [1, 1], 4, 1, 'valid'),
    convCase([2, 6, 7, 3], [1, 1], 4, 2, 'same'),
    convCase([1, 6, 5, 2], [3, 2], 3, [1, 2], 'same'),
    convCase([1, 7, 6, 2], [2, 3], 3, [2, 1], 'valid'),
    convCase([1, 1, 1, 2], [3, 3], 2, 1, 'same'),
    convCase([1, 6, 5, 2], [3, 3], 2, 1, 1),
    convCase([1, 6, 5, 2], [3, 3], 2, 2, 2),
    convCase([1, 6, 5, 2], [3, 2], 2, 1, [[0, 0], [1, 2], [0, 1], [0, 0]]),
    convCase([4, 24, 24, 8], [3, 3], 16, 1, 'same'),
  ];
  for (const c of cases) it(c.name, () => expectMatchesCpu(c));

  it('fused conv2d with bias, linear and relu', async () => {
    for (const activation of ['linear', 'relu'] as const) {
      await expectMatchesCpu({
        name: `fused conv2d ${activation}`,
        inputs: [{ shape: [2, 6, 6, 3] }, { shape: [3, 3, 3, 4] }, { shape: [4] }],
        f: (x, w, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad: 'same', bias: b, activation }),
      });
    }
  });

  it('splits long im2col work into chunks without changing the result', async () => {
    const previous = setIm2colChunkFloats(50);
    try {
      await expectMatchesCpu(convCase([2, 7, 7, 3], [3, 3], 4, 2, 'same'));
      await expectMatchesCpu(convTransposeCase([2, 4, 4, 3], 3, 2, [8, 8], 2, 'same'));
      // Below one row per chunk: still one row at a time. Stride 2, since stride-1 input
      // gradients (and all NHWC filter gradients) run as forward convolutions instead.
      setIm2colChunkFloats(1);
      await expectMatchesCpu(convCase([1, 5, 4, 2], [3, 3], 3, 2, 'same'));
    } finally {
      setIm2colChunkFloats(previous);
    }
  });

  it('runs the kernels directly in NHWC and NCHW', async () => {
    // NHWC x [2, 7, 6, 3], stride 2 'same': dy [2, 4, 3, 4].
    await expectKernelMatchesCpu(
      'Conv2DBackpropFilter',
      [
        { name: 'x', shape: [2, 7, 6, 3] },
        { name: 'dy', shape: [2, 4, 3, 4] },
      ],
      { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] },
    );
    await expectKernelMatchesCpu(
      'Conv2DBackpropFilter',
      [
        { name: 'x', shape: [2, 3, 7, 6] },
        { name: 'dy', shape: [2, 4, 4, 3] },
      ],
      { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] },
    );
    await expectKernelMatchesCpu(
      'Conv2DBackpropInput',
      [
        { name: 'dy', shape: [2, 4, 3, 4] },
        { name: 'filter', shape: [3, 3, 3, 4] },
      ],
      { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', inputShape: [2, 7, 6, 3] },
    );
    await expectKernelMatchesCpu(
      'Conv2DBackpropInput',
      [
        { name: 'dy', shape: [2, 4, 4, 3] },
        { name: 'filter', shape: [3, 3, 3, 4] },
      ],
      { strides: [2, 2], pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 7, 6] },
    );
    // A numeric pad with a rounding mode: x 7x6, k3, s2, pad 1, floor -> dy 4x3.
    await expectKernelMatchesCpu(
      'Conv2DBackpropFilter',
      [
        { name: 'x', shape: [1, 7, 6, 2] },
        { name: 'dy', shape: [1, 4, 3, 3] },
      ],
      { strides: [2, 2], pad: 1, dataFormat: 'NHWC', dimRoundingMode: 'floor', filterShape: [3, 3, 2, 3] },
    );
  });

  it('satisfies <x, dx> = <w, dw> = <y, dy> on wasm alone', async () => {
    const w = makeValues({ shape: [3, 3, 3, 4] }, new Rng(11));
    const x = makeValues({ shape: [2, 7, 7, 3] }, new Rng(12));
    const byX = await eulerGap((a) => tf.conv2d(a as tf.Tensor4D, tf.tensor4d(w, [3, 3, 3, 4]), 2, 'same'), [2, 7, 7, 3]);
    const byW = await eulerGap((f) => tf.conv2d(tf.tensor4d(x, [2, 7, 7, 3]), f as tf.Tensor4D, 2, 'same'), [3, 3, 3, 4]);
    expect(byX).toBeLessThan(TOLERANCE);
    expect(byW).toBeLessThan(TOLERANCE);
  });
});

describe('conv2dTranspose (forward Conv2DBackpropInput; gradient Conv2D and Conv2DBackpropFilter)', () => {
  const cases = [
    convTransposeCase([2, 4, 4, 3], 3, 2, [8, 8], 2, 'same'),
    convTransposeCase([1, 3, 5, 2], 4, 3, [6, 10], 2, 'same'),
    convTransposeCase([2, 7, 7, 4], 4, 2, [14, 14], 2, 'same'),
    convTransposeCase([1, 4, 4, 2], 3, 3, [6, 6], 1, 'valid'),
    convTransposeCase([1, 3, 3, 2], 3, 2, [7, 7], 2, 'valid'),
    convTransposeCase([1, 5, 3, 2], 1, 3, [5, 3], 1, 'same'),
  ];
  for (const c of cases) it(c.name, () => expectMatchesCpu(c));
});

describe('depthwiseConv2d gradients', () => {
  const cases = [
    depthwiseCase([2, 6, 5, 3], 3, 1, 1, 'same'),
    depthwiseCase([2, 6, 5, 3], 3, 2, 1, 'same'),
    depthwiseCase([1, 7, 7, 2], 3, 1, 2, 'valid'),
    depthwiseCase([1, 8, 7, 2], 2, 3, 2, 'same'),
    depthwiseCase([1, 6, 6, 2], 3, 2, 1, 1),
  ];
  for (const c of cases) it(c.name, () => expectMatchesCpu(c));
});

describe('maxPool gradient (MaxPoolGrad)', () => {
  const cases = [
    poolCase('max', [2, 6, 6, 3], 2, 2, 'valid'),
    poolCase('max', [1, 7, 7, 2], 2, 2, 'valid'),
    poolCase('max', [1, 7, 7, 2], 2, 2, 'same'),
    poolCase('max', [2, 7, 5, 3], 3, 2, 'same'),
    poolCase('max', [2, 7, 5, 3], 3, 2, 'valid'),
    poolCase('max', [1, 6, 6, 2], 3, 1, 'same'),
    poolCase('max', [1, 6, 6, 2], 3, 1, 'valid'),
    poolCase('max', [1, 9, 8, 4], [3, 2], [2, 1], 'same'),
    poolCase('max', [1, 5, 5, 1], 5, 1, 'valid'),
  ];
  for (const c of cases) it(c.name, () => expectMatchesCpu(c));

  it('routes ties to the first largest pixel, as the cpu backend does', async () => {
    // Pixels drawn from {0, 1, 2}: most windows hold ties.
    const inputValues = Array.from(makeValues({ shape: [2, 7, 7, 3], dtype: 'int32', maxInt: 3 }, new Rng(4)));
    for (const [filterSize, strides, pad] of [
      [2, 2, 'valid'],
      [3, 2, 'same'],
      [3, 1, 'same'],
    ] as const) {
      await tf.setBackend('cpu');
      const output = tf.tidy(() => tf.maxPool(tf.tensor4d(inputValues, [2, 7, 7, 3]), filterSize, strides, pad));
      const outShape = output.shape;
      const outputValues = Array.from(output.dataSync());
      output.dispose();
      await expectKernelMatchesCpu(
        'MaxPoolGrad',
        [
          { name: 'dy', shape: outShape },
          { name: 'input', shape: [2, 7, 7, 3], values: inputValues },
          { name: 'output', shape: outShape, values: outputValues },
        ],
        { filterSize, strides, pad },
      );
    }
  });

  it('satisfies <x, dx> = <maxPool(x), dy> on wasm alone', async () => {
    for (const [size, strides, pad] of [
      [2, 2, 'valid'],
      [3, 2, 'same'],
      [2, 2, 'same'],
    ] as const) {
      expect(await eulerGap((x) => tf.maxPool(x as tf.Tensor4D, size, strides, pad), [2, 7, 7, 3])).toBeLessThan(TOLERANCE);
    }
  });
});

describe('avgPool gradient (the backend own AvgPoolGrad)', () => {
  const cases = [
    poolCase('avg', [2, 6, 6, 3], 2, 2, 'valid'),
    poolCase('avg', [1, 7, 7, 2], 2, 2, 'same'),
    poolCase('avg', [2, 7, 5, 3], 3, 2, 'same'),
    poolCase('avg', [1, 6, 6, 2], 3, 1, 'same'),
  ];
  for (const c of cases) it(c.name, () => expectMatchesCpu(c));
});

describe('gather gradient (UnsortedSegmentSum)', () => {
  const cases = [
    gatherCase([10, 4], [2, 5]),
    gatherCase([7, 3], [12]),
    gatherCase([5, 2, 3], [4, 6]),
    gatherCase([3, 6, 2], [9], 1),
    gatherCase([2, 3, 6], [6], 2),
  ];
  for (const c of cases) it(c.name, () => expectMatchesCpu(c));

  it('sums segments directly: several id axes, ids out of range dropped, float and int', async () => {
    const ids = [2, 0, -1, 2, 5, 1];
    const x = Array.from({ length: 24 }, (_, i) => i - 7);
    // Reference: out[s, k] = sum of x[i, k] over i with ids[i] = s.
    const expected = new Array<number>(4 * 4).fill(0);
    ids.forEach((s, i) => {
      if (s < 0 || s >= 4) return;
      for (let k = 0; k < 4; k++) expected[s * 4 + k]! += x[i * 4 + k]!;
    });
    for (const dtype of ['float32', 'int32'] as const) {
      const got = await runKernelOn(
        'wasm',
        'UnsortedSegmentSum',
        [
          { name: 'x', shape: [2, 3, 4], dtype, values: x },
          { name: 'segmentIds', shape: [2, 3], dtype: 'int32', values: ids },
        ],
        { numSegments: 4 },
      );
      expect(got.shape).toEqual([4, 4]);
      expect(got.dtype).toBe(dtype);
      expect(got.values).toEqual(expected);
    }
    // One id axis matches the cpu backend.
    await expectKernelMatchesCpu(
      'UnsortedSegmentSum',
      [
        { name: 'x', shape: [6, 4] },
        { name: 'segmentIds', shape: [6], dtype: 'int32', values: [2, 0, 0, 2, 3, 1] },
      ],
      { numSegments: 5 },
    );
  });
});

describe('resizeNearestNeighbor gradient (ResizeNearestNeighborGrad)', () => {
  /** The forward's source index for each output index (TF.js's rule). */
  function sources(outSize: number, inSize: number, alignCorners: boolean, halfPixel: boolean): number[] {
    const ratio = (alignCorners && outSize > 1 ? inSize - 1 : inSize) / (alignCorners && outSize > 1 ? outSize - 1 : outSize);
    return Array.from({ length: outSize }, (_, i) => {
      const frac = halfPixel ? ratio * (i + 0.5) : ratio * i;
      const s = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
      return halfPixel ? Math.max(0, s) : s;
    });
  }

  // The cpu backend's own gradient is wrong here (it ignores halfPixelCenters and
  // misreads dy for batch > 1), so the reference is the same resize as two
  // gathers, differentiated on cpu.
  const cases: [number[], [number, number], boolean, boolean][] = [
    [[2, 3, 4, 2], [6, 8], false, false],
    [[2, 3, 5, 2], [7, 9], false, false],
    [[2, 5, 3, 2], [7, 4], true, false],
    [[2, 3, 5, 2], [7, 9], false, true],
    [[2, 6, 6, 2], [3, 4], false, false],
    [[1, 6, 7, 1], [4, 3], false, true],
  ];
  for (const [shape, size, alignCorners, halfPixel] of cases) {
    it(`x${shape.join('x')} -> ${size.join('x')}${alignCorners ? ' alignCorners' : ''}${halfPixel ? ' halfPixelCenters' : ''}`, async () => {
      const rows = sources(size[0], shape[1]!, alignCorners, halfPixel);
      const cols = sources(size[1], shape[2]!, alignCorners, halfPixel);
      const viaGather: GradCase = {
        name: 'resize as gathers',
        inputs: [{ shape }],
        f: (x) => tf.gather(tf.gather(x, tf.tensor1d(rows, 'int32'), 1), tf.tensor1d(cols, 'int32'), 2),
      };
      const resize: GradCase = {
        name: 'resize',
        inputs: [{ shape }],
        f: (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size, alignCorners, halfPixel),
      };
      const ref = await runCase(viaGather, 'cpu');
      const got = await runCase(resize, 'wasm');
      expect(relError(got.y, ref.y)).toBe(0);
      expect(relError(got.grads[0]!, ref.grads[0]!)).toBeLessThan(TOLERANCE);
    });
  }
});

describe('Slice, Concat and _FusedMatMul (wrapping the backend’s own)', () => {
  const cases: { name: string; run: () => tf.Tensor }[] = [
    { name: 'contiguous slice of a vector', run: () => tf.slice(tf.range(0, 1000), 137, 500) },
    { name: 'contiguous rows of a matrix', run: () => tf.slice(tf.reshape(tf.range(0, 600), [20, 30]), [3, 0], [5, 30]) },
    { name: 'columns of a matrix (not contiguous)', run: () => tf.slice(tf.reshape(tf.range(0, 600), [20, 30]), [2, 4], [7, 9]) },
    { name: 'an int32 slice', run: () => tf.slice(tf.range(0, 50, 1, 'int32'), 5, 10) },
    { name: 'concat of vectors', run: () => tf.concat([tf.range(0, 7), tf.range(100, 113), tf.range(-5, 0)]) },
    { name: 'concat after size-1 dimensions', run: () => tf.concat([tf.ones([1, 1, 3]), tf.zeros([1, 1, 2]), tf.fill([1, 1, 4], 7)], 2) },
    { name: 'concat along columns (not one after another)', run: () => tf.concat([tf.reshape(tf.range(0, 6), [2, 3]), tf.reshape(tf.range(10, 14), [2, 2])], 1) },
    { name: 'concat of int32', run: () => tf.concat([tf.range(0, 3, 1, 'int32'), tf.range(7, 9, 1, 'int32')]) },
    {
      name: '_FusedMatMul with a bias and a transposed kernel (the backend’s own adds the bias wrongly)',
      run: () => tf.fused.matMul({ a: tf.reshape(tf.range(0, 15), [5, 3]), b: tf.reshape(tf.range(0, 12), [4, 3]), transposeB: true, bias: tf.tensor1d([10, 20, 30, 40]), activation: 'relu' }),
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const onWasm = tf.tidy(c.run);
      const wasm = { shape: onWasm.shape, dtype: onWasm.dtype, values: Array.from(await onWasm.data()) };
      onWasm.dispose();
      await tf.setBackend('cpu');
      try {
        const onCpu = tf.tidy(c.run);
        expect(wasm).toEqual({ shape: onCpu.shape, dtype: onCpu.dtype, values: Array.from(await onCpu.data()) });
        onCpu.dispose();
      } finally {
        await tf.setBackend('wasm');
      }
    });
  }
});

describe('ops the node kinds train through, wasm against cpu', () => {
  for (const c of trainingOpCases) it(c.name, () => expectMatchesCpu(c));
});

describe('end to end through the graph compiler', () => {
  /**
   * Builds the graph, runs forward on `backend` with seeded variables and feeds,
   * and returns the loss sum(y · w) and its gradient for every variable.
   */
  async function lossAndGrads(backend: string, nodes: NodeSketch[], edges: string[], feed: tf.TensorLike, feedShape: number[], dtype: 'float32' | 'int32') {
    await tf.setBackend(backend);
    const analysis = analyze(makeDocument(nodes, edges));
    expect(hasErrors(analysis.diagnostics), JSON.stringify(analysis.diagnostics)).toBe(false);
    const variables = createVariables(analysis, 3);
    const last = nodes[nodes.length - 1]!.id;
    const outKey = analysis.nodes.get(last)!.outputKeys.y!;
    const x = tf.tensor(feed, feedShape, dtype);
    const result = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const values = runForward(analysis, { variables, feeds: { in: { x } }, batchSize: feedShape[0]!, training: true, random: createRandom(9) });
        const y = values.get(outKey)!;
        const w = tf.tensor(makeValues({ shape: y.shape }, new Rng(21)), y.shape);
        return tf.sum(tf.mul(y, w)) as tf.Scalar;
      }, [...variables.values()]);
      const byName: Record<string, Float32Array> = {};
      for (const [key, v] of variables) byName[key] = Float32Array.from(grads[v.name]!.dataSync());
      return { loss: value.dataSync()[0]!, grads: byName };
    });
    x.dispose();
    for (const v of variables.values()) v.dispose();
    return result;
  }

  async function expectSameTraining(nodes: NodeSketch[], edges: string[], feed: tf.TensorLike, feedShape: number[], dtype: 'float32' | 'int32' = 'float32') {
    const ref = await lossAndGrads('cpu', nodes, edges, feed, feedShape, dtype);
    const got = await lossAndGrads('wasm', nodes, edges, feed, feedShape, dtype);
    expect(Math.abs(got.loss - ref.loss) / Math.max(1, Math.abs(ref.loss))).toBeLessThan(TOLERANCE);
    expect(Object.keys(got.grads).sort()).toEqual(Object.keys(ref.grads).sort());
    for (const [key, g] of Object.entries(ref.grads)) {
      expect(g.some((v) => v !== 0), `${key} has a gradient`).toBe(true);
      expect(relError(got.grads[key]!, g), key).toBeLessThan(TOLERANCE);
    }
  }

  it('Conv2D -> MaxPool2D -> Dense', async () => {
    const shape = [3, 9, 9, 2];
    await expectSameTraining(
      [
        { id: 'in', kind: 'Input', params: { shape: shape.slice(1) } },
        { id: 'conv', kind: 'Conv2D', params: { filters: 4, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' } },
        { id: 'conv2', kind: 'Conv2D', params: { filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'leakyRelu' } },
        { id: 'pool', kind: 'MaxPool2D', params: { poolSize: 2, padding: 'same' } },
        { id: 'flat', kind: 'Flatten', params: {} },
        { id: 'dense', kind: 'Dense', params: { units: 3, activation: 'sigmoid' } },
      ],
      ['in.x->conv.x', 'conv.y->conv2.x', 'conv2.y->pool.x', 'pool.y->flat.x', 'flat.y->dense.x'],
      makeValues({ shape }, new Rng(8)),
      shape,
    );
  });

  it('Embedding -> Dense', async () => {
    // Ten tokens over a vocabulary of six: rows repeat, so their gradients must add up.
    await expectSameTraining(
      [
        { id: 'in', kind: 'Input', params: { shape: [5], dtype: 'int' } },
        { id: 'emb', kind: 'Embedding', params: { vocabSize: 6, dim: 4 } },
        { id: 'dense', kind: 'Dense', params: { units: 3, activation: 'relu' } },
      ],
      ['in.x->emb.tokens', 'emb.y->dense.x'],
      [0, 3, 3, 5, 1, 3, 0, 0, 2, 5],
      [2, 5],
      'int32',
    );
  });
});
