/**
 * TF.js kernels as ONNX nodes (opset 17). Each translation reads one
 * recorded kernel call (its inputs, attributes, and the shapes and dtypes
 * the trace saw, all static at the traced batch) and writes the nodes that
 * compute the same outputs. Tensors stay in TF.js's layouts (channels last):
 * convolutions and pools transpose to ONNX's channels-first around their
 * node and back, and their kernels from [h, w, in, out] to [out, in, h, w].
 *
 * A kernel missing here, or an attribute a translation does not cover
 * (MirrorPad's symmetric mode, a batched gather), is refused by the export
 * (GC302) naming the kernel, never dropped.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TraceDType } from './trace.ts';
import { float, int, ints, str, type OnnxAttr, type OnnxDType, type OnnxGraph } from './writer.ts';

/** A kernel, or one of its settings, that the export does not translate; `detail` says which setting. */
export class Untranslatable extends Error {
  constructor(readonly detail?: string) {
    super(detail ?? 'no translation');
  }
}

/** One recorded kernel call, as a translation sees it. */
export interface KernelCall {
  kernel: string;
  attrs: Readonly<Record<string, unknown>>;
  /** Kernel input ports, in TF.js's order. */
  ports: readonly string[];
  /** The ONNX name of an input. */
  input(port: string): string;
  shape(port: string): number[];
  dtype(port: string): TraceDType;
  /** The ONNX names of the outputs. */
  outputs: readonly string[];
  outShape(index?: number): number[];
  outDType(index?: number): TraceDType;
}

type Translate = (g: OnnxGraph, c: KernelCall) => void;

/** The smallest int64 ONNX's Slice takes as "before the first element" when walking backwards. */
const BEFORE_START = -(2 ** 62);

const onnxDType = (d: TraceDType): OnnxDType => d;

function cast(g: OnnxGraph, x: string, to: OnnxDType, out?: string): string {
  const target = { float32: 1, int32: 6, int64: 7, bool: 9 }[to];
  if (out) {
    g.node('Cast', [x], [out], { to: int(target) });
    return out;
  }
  return g.apply('Cast', [x], x, { to: int(target) });
}

function attr<T>(c: KernelCall, name: string): T {
  return c.attrs[name] as T;
}

const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** TF.js's channels-last tensors as ONNX's channels-first, and back. */
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];
/** A TF.js conv kernel [h, w, in, out] as ONNX's [out, in, h, w]. */
const HWIO_TO_OIHW = [3, 2, 0, 1];

function unary(op: string, attrs: Readonly<Record<string, OnnxAttr>> = {}): Translate {
  return (g, c) => g.node(op, [c.input(c.ports[0]!)], [c.outputs[0]!], attrs);
}

function binary(op: string): Translate {
  return (g, c) => g.node(op, [c.input(c.ports[0]!), c.input(c.ports[1]!)], [c.outputs[0]!]);
}

/** TF.js's fused activations, applied to `x` into `out`. */
function activate(g: OnnxGraph, c: KernelCall, x: string, out: string): void {
  const activation = (c.attrs.activation as string | undefined) ?? 'linear';
  switch (activation) {
    case 'linear':
      g.node('Identity', [x], [out]);
      return;
    case 'relu':
      g.node('Relu', [x], [out]);
      return;
    case 'relu6':
      g.node('Clip', [x, g.scalar(0, 'float32'), g.scalar(6, 'float32')], [out]);
      return;
    case 'elu':
      g.node('Elu', [x], [out], { alpha: float(1) });
      return;
    case 'sigmoid':
      g.node('Sigmoid', [x], [out]);
      return;
    case 'leakyrelu':
      g.node('LeakyRelu', [x], [out], { alpha: float((c.attrs.leakyreluAlpha as number | undefined) ?? 0.2) });
      return;
    case 'prelu':
      g.node('PRelu', [x, c.input('preluActivationWeights')], [out]);
      return;
    default:
      throw new Untranslatable(`activation ${activation}`);
  }
}

/** Adds the bias, when the fused kernel has one, then the activation. */
function biasAndActivation(g: OnnxGraph, c: KernelCall, x: string): void {
  const out = c.outputs[0]!;
  const linear = ((c.attrs.activation as string | undefined) ?? 'linear') === 'linear';
  if (c.ports.includes('bias')) {
    const biased = linear ? out : g.fresh(out);
    g.node('Add', [x, c.input('bias')], [biased]);
    if (!linear) activate(g, c, biased, out);
    return;
  }
  activate(g, c, x, out);
}

/** Swaps a matrix's last two axes. */
function transposeLast(g: OnnxGraph, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return g.apply('Transpose', [x], x, { perm: ints(perm) });
}

/** MatMul of a and b (each transposed first when the kernel says), into `out`. */
function matMul(g: OnnxGraph, c: KernelCall, out: string): void {
  let a = c.input('a');
  let b = c.input('b');
  if (attr<boolean>(c, 'transposeA')) a = transposeLast(g, a, c.shape('a').length);
  if (attr<boolean>(c, 'transposeB')) b = transposeLast(g, b, c.shape('b').length);
  g.node('MatMul', [a, b], [out]);
}

/** A channels-last 2D convolution's settings as ONNX's. */
function convSettings(c: KernelCall, info: tf.backend_util.Conv2DInfo): Record<string, OnnxAttr> {
  if ((c.attrs.dataFormat ?? 'NHWC') !== 'NHWC') throw new Untranslatable(`dataFormat ${String(c.attrs.dataFormat)}`);
  const p = info.padInfo;
  return {
    kernel_shape: ints([info.filterHeight, info.filterWidth]),
    strides: ints([info.strideHeight, info.strideWidth]),
    dilations: ints([info.dilationHeight, info.dilationWidth]),
    pads: ints([p.top, p.left, p.bottom, p.right]),
  };
}

type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

function conv2d(depthwise: boolean, fused: boolean): Translate {
  return (g, c) => {
    const xShape = c.shape('x') as [number, number, number, number];
    const fShape = c.shape('filter') as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(xShape, fShape, attr(c, 'strides'), attr(c, 'dilations') ?? 1, attr<PadAttr>(c, 'pad'), attr<Rounding>(c, 'dimRoundingMode'), depthwise, 'channelsLast');
    const settings = convSettings(c, info);
    const x = g.apply('Transpose', [c.input('x')], c.outputs[0]!, { perm: ints(TO_NCHW) });
    let w: string;
    if (depthwise) {
      // [h, w, in, multiplier] → [in·multiplier, 1, h, w], one group per input channel.
      const [kh, kw, channels, multiplier] = fShape;
      const t = g.apply('Transpose', [c.input('filter')], c.input('filter'), { perm: ints([2, 3, 0, 1]) });
      w = g.apply('Reshape', [t, g.int64s([channels * multiplier, 1, kh, kw])], c.input('filter'));
      settings.group = int(channels);
    } else {
      w = g.apply('Transpose', [c.input('filter')], c.input('filter'), { perm: ints(HWIO_TO_OIHW) });
    }
    const y = g.apply('Conv', [x, w], c.outputs[0]!, settings);
    const back = fused ? g.fresh(c.outputs[0]!) : c.outputs[0]!;
    g.node('Transpose', [y], [back], { perm: ints(TO_NHWC) });
    if (fused) biasAndActivation(g, c, back);
  };
}

/** The gradient of a convolution with respect to its input: a transposed convolution (conv2dTranspose). */
const conv2dBackpropInput: Translate = (g, c) => {
  const inputShape = attr<[number, number, number, number]>(c, 'inputShape');
  const fShape = c.shape('filter') as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(inputShape, fShape, attr(c, 'strides'), 1, attr<PadAttr>(c, 'pad'), attr<Rounding>(c, 'dimRoundingMode'), false, 'channelsLast');
  const settings = convSettings(c, info);
  const p = info.padInfo;
  const dy = c.shape('dy');
  // The forward convolution's padding, and rows or columns at the end that no window reached.
  const extraH = inputShape[1] - ((dy[1]! - 1) * info.strideHeight + info.filterHeight - p.top - p.bottom);
  const extraW = inputShape[2] - ((dy[2]! - 1) * info.strideWidth + info.filterWidth - p.left - p.right);
  if (extraH < 0 || extraW < 0 || extraH >= info.strideHeight || extraW >= info.strideWidth) throw new Untranslatable(`output padding ${extraH}, ${extraW}`);
  settings.output_padding = ints([extraH, extraW]);
  delete settings.dilations;
  const x = g.apply('Transpose', [c.input('dy')], c.outputs[0]!, { perm: ints(TO_NCHW) });
  // [h, w, out, in] → [in, out, h, w]: ConvTranspose's weight is [C of its input, C of its output, h, w].
  const w = g.apply('Transpose', [c.input('filter')], c.input('filter'), { perm: ints(HWIO_TO_OIHW) });
  const y = g.apply('ConvTranspose', [x, w], c.outputs[0]!, settings);
  g.node('Transpose', [y], [c.outputs[0]!], { perm: ints(TO_NHWC) });
};

function pool(op: 'AveragePool' | 'MaxPool'): Translate {
  return (g, c) => {
    const xShape = c.shape('x') as [number, number, number, number];
    const info = tf.backend_util.computePool2DInfo(xShape, attr(c, 'filterSize'), attr(c, 'strides'), 1, attr<PadAttr>(c, 'pad'), attr<Rounding>(c, 'dimRoundingMode'));
    const settings = convSettings(c, info);
    delete settings.dilations;
    // TF.js averages over the cells inside the input only, as ONNX does by default (count_include_pad 0).
    const x = g.apply('Transpose', [c.input('x')], c.outputs[0]!, { perm: ints(TO_NCHW) });
    const y = g.apply(op, [x], c.outputs[0]!, settings);
    g.node('Transpose', [y], [c.outputs[0]!], { perm: ints(TO_NHWC) });
  };
}

/** Axes of a reduction, as TF.js reads them (every axis when none is given). */
function reductionAxes(c: KernelCall, name = 'axis'): number[] {
  const shape = c.shape(c.ports[0]!);
  const axis = c.attrs[name] as number | number[] | null | undefined;
  return axis === null || axis === undefined ? shape.map((_, i) => i) : tf.util.parseAxisParam(axis, shape);
}

function reduce(op: string, axesName = 'axis'): Translate {
  return (g, c) => {
    const axes = reductionAxes(c, axesName);
    let x = c.input(c.ports[0]!);
    const out = c.outputs[0]!;
    if (c.dtype(c.ports[0]!) !== c.outDType()) x = cast(g, x, onnxDType(c.outDType()));
    if (axes.length === 0) {
      g.node('Identity', [x], [out]);
      return;
    }
    const keepdims = int(attr<boolean>(c, 'keepDims') ? 1 : 0);
    // Opset 17: ReduceSum takes its axes as an input, the others as an attribute.
    if (op === 'ReduceSum') g.node(op, [x, g.int64s(axes)], [out], { keepdims });
    else g.node(op, [x], [out], { axes: ints(axes), keepdims });
  };
}

/** All and Any over booleans: the minimum and maximum of their 0/1 values. */
function logicalReduce(op: 'ReduceMin' | 'ReduceMax'): Translate {
  return (g, c) => {
    const axes = reductionAxes(c);
    const x = cast(g, c.input('x'), 'int32');
    const r = axes.length === 0 ? x : g.apply(op, [x], c.outputs[0]!, { axes: ints(axes), keepdims: int(attr<boolean>(c, 'keepDims') ? 1 : 0) });
    cast(g, r, 'bool', c.outputs[0]!);
  };
}

function argReduce(op: 'ArgMax' | 'ArgMin'): Translate {
  return (g, c) => {
    const axis = reductionAxes(c)[0]!;
    const r = g.apply(op, [c.input('x')], c.outputs[0]!, { axis: int(axis), keepdims: int(0) });
    cast(g, r, 'int32', c.outputs[0]!);
  };
}

/** A constant the kernel computes from its attributes alone (Fill, Range, ZerosLike...). */
function constantFrom(values: (c: KernelCall, size: number) => ArrayLike<number>): Translate {
  return (g, c) => {
    const shape = c.outShape();
    const size = shape.reduce((a, b) => a * b, 1);
    const data = Array.from(values(c, size));
    g.node('Identity', [g.constant(data, onnxDType(c.outDType()), shape, c.outputs[0]!)], [c.outputs[0]!]);
  };
}

const scalarLike = (g: OnnxGraph, value: number, dtype: TraceDType) => g.scalar(value, onnxDType(dtype));

export const KERNELS: Readonly<Record<string, Translate>> = {
  // Element-wise, with NumPy broadcasting on both sides.
  Add: binary('Add'),
  Sub: binary('Sub'),
  Multiply: binary('Mul'),
  RealDiv: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Pow: binary('Pow'),
  Equal: binary('Equal'),
  Less: binary('Less'),
  LessEqual: binary('LessOrEqual'),
  Greater: binary('Greater'),
  GreaterEqual: binary('GreaterOrEqual'),
  LogicalAnd: binary('And'),
  LogicalOr: binary('Or'),
  NotEqual: (g, c) => g.node('Not', [g.apply('Equal', [c.input('a'), c.input('b')], c.outputs[0]!)], [c.outputs[0]!]),
  SquaredDifference: (g, c) => {
    const d = g.apply('Sub', [c.input('a'), c.input('b')], c.outputs[0]!);
    g.node('Mul', [d, d], [c.outputs[0]!]);
  },
  FloorDiv: (g, c) => {
    if (c.outDType() === 'float32') {
      g.node('Floor', [g.apply('Div', [c.input('a'), c.input('b')], c.outputs[0]!)], [c.outputs[0]!]);
      return;
    }
    // Integers: ONNX's Div truncates, TF.js's FloorDiv floors; through float32 (exact below 2^24).
    const q = g.apply('Div', [cast(g, c.input('a'), 'float32'), cast(g, c.input('b'), 'float32')], c.outputs[0]!);
    cast(g, g.apply('Floor', [q], c.outputs[0]!), onnxDType(c.outDType()), c.outputs[0]!);
  },
  Mod: (g, c) => {
    // TF.js's mod takes the divisor's sign (floored); ONNX's Mod does for integers, and for floats x − floor(x / y) · y.
    if (c.outDType() === 'int32') {
      g.node('Mod', [c.input('a'), c.input('b')], [c.outputs[0]!], { fmod: int(0) });
      return;
    }
    const a = c.input('a');
    const b = c.input('b');
    const q = g.apply('Floor', [g.apply('Div', [a, b], c.outputs[0]!)], c.outputs[0]!);
    g.node('Sub', [a, g.apply('Mul', [q, b], c.outputs[0]!)], [c.outputs[0]!]);
  },
  AddN: (g, c) => g.node('Sum', c.ports.map((p) => c.input(p)), [c.outputs[0]!]),
  // tf.where broadcasts its three tensors to one shape before the kernel.
  Select: (g, c) => g.node('Where', [c.input('condition'), c.input('t'), c.input('e')], [c.outputs[0]!]),

  Abs: unary('Abs'),
  Neg: unary('Neg'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Sqrt: unary('Sqrt'),
  Reciprocal: unary('Reciprocal'),
  Sin: unary('Sin'),
  Cos: unary('Cos'),
  Tan: unary('Tan'),
  Asin: unary('Asin'),
  Acos: unary('Acos'),
  Atan: unary('Atan'),
  Sinh: unary('Sinh'),
  Cosh: unary('Cosh'),
  Asinh: unary('Asinh'),
  Acosh: unary('Acosh'),
  Atanh: unary('Atanh'),
  Tanh: unary('Tanh'),
  Sigmoid: unary('Sigmoid'),
  Relu: unary('Relu'),
  Elu: unary('Elu', { alpha: float(1) }),
  Selu: unary('Selu'),
  Erf: unary('Erf'),
  Floor: unary('Floor'),
  Ceil: unary('Ceil'),
  Round: unary('Round'),
  Sign: unary('Sign'),
  Softplus: unary('Softplus'),
  IsNan: unary('IsNaN'),
  LogicalNot: unary('Not'),
  Identity: unary('Identity'),
  LeakyRelu: (g, c) => g.node('LeakyRelu', [c.input('x')], [c.outputs[0]!], { alpha: float(attr<number>(c, 'alpha')) }),
  Prelu: (g, c) => g.node('PRelu', [c.input('x'), c.input('alpha')], [c.outputs[0]!]),
  Relu6: (g, c) => g.node('Clip', [c.input('x'), g.scalar(0, 'float32'), g.scalar(6, 'float32')], [c.outputs[0]!]),
  ClipByValue: (g, c) => {
    const d = c.dtype('x');
    g.node('Clip', [c.input('x'), scalarLike(g, attr(c, 'clipValueMin'), d), scalarLike(g, attr(c, 'clipValueMax'), d)], [c.outputs[0]!]);
  },
  Rsqrt: (g, c) => g.node('Reciprocal', [g.apply('Sqrt', [c.input('x')], c.outputs[0]!)], [c.outputs[0]!]),
  Square: (g, c) => g.node('Mul', [c.input('x'), c.input('x')], [c.outputs[0]!]),
  Log1p: (g, c) => g.node('Log', [g.apply('Add', [c.input('x'), g.scalar(1, 'float32')], c.outputs[0]!)], [c.outputs[0]!]),
  Expm1: (g, c) => g.node('Sub', [g.apply('Exp', [c.input('x')], c.outputs[0]!), g.scalar(1, 'float32')], [c.outputs[0]!]),
  Cast: (g, c) => {
    cast(g, c.input('x'), onnxDType(c.outDType()), c.outputs[0]!);
  },
  Softmax: (g, c) => g.node('Softmax', [c.input('logits')], [c.outputs[0]!], { axis: int(attr<number>(c, 'dim')) }),

  // Matrices and convolutions.
  BatchMatMul: (g, c) => matMul(g, c, c.outputs[0]!),
  _FusedMatMul: (g, c) => {
    const linear = ((c.attrs.activation as string | undefined) ?? 'linear') === 'linear';
    const product = linear && !c.ports.includes('bias') ? c.outputs[0]! : g.fresh(c.outputs[0]!);
    matMul(g, c, product);
    if (product !== c.outputs[0]) biasAndActivation(g, c, product);
  },
  Conv2D: conv2d(false, false),
  FusedConv2D: conv2d(false, true),
  DepthwiseConv2dNative: conv2d(true, false),
  FusedDepthwiseConv2D: conv2d(true, true),
  Conv2DBackpropInput: conv2dBackpropInput,
  AvgPool: pool('AveragePool'),
  MaxPool: pool('MaxPool'),
  Einsum: (g, c) => g.node('Einsum', c.ports.map((p) => c.input(p)), [c.outputs[0]!], { equation: str(attr<string>(c, 'equation')) }),

  // Reductions.
  Sum: reduce('ReduceSum'),
  Mean: reduce('ReduceMean'),
  Prod: reduce('ReduceProd'),
  Min: reduce('ReduceMin'),
  Max: reduce('ReduceMax', 'reductionIndices'),
  All: logicalReduce('ReduceMin'),
  Any: logicalReduce('ReduceMax'),
  ArgMax: argReduce('ArgMax'),
  ArgMin: argReduce('ArgMin'),
  Cumsum: (g, c) => {
    const axis = axisOf(attr<number>(c, 'axis'), c.shape('x').length);
    g.node('CumSum', [c.input('x'), g.int64s([axis])], [c.outputs[0]!], { exclusive: int(attr<boolean>(c, 'exclusive') ? 1 : 0), reverse: int(attr<boolean>(c, 'reverse') ? 1 : 0) });
  },
  TopK: (g, c) => {
    const indices = g.fresh(c.outputs[1]!);
    g.node('TopK', [c.input('x'), g.int64s([attr<number>(c, 'k')])], [c.outputs[0]!, indices], { axis: int(-1), largest: int(1), sorted: int(1) });
    cast(g, indices, 'int32', c.outputs[1]!);
  },

  // Shapes and layout: every shape is static at the traced batch.
  Reshape: (g, c) => g.node('Reshape', [c.input('x'), g.int64s(c.outShape())], [c.outputs[0]!]),
  BroadcastTo: (g, c) => g.node('Expand', [c.input('x'), g.int64s(c.outShape())], [c.outputs[0]!]),
  Transpose: (g, c) => g.node('Transpose', [c.input('x')], [c.outputs[0]!], { perm: ints(attr<number[]>(c, 'perm')) }),
  Concat: (g, c) => g.node('Concat', c.ports.map((p) => c.input(p)), [c.outputs[0]!], { axis: int(axisOf(attr<number>(c, 'axis'), c.outShape().length)) }),
  Pack: (g, c) => {
    const axis = axisOf(attr<number>(c, 'axis'), c.outShape().length);
    const parts = c.ports.map((p) => g.apply('Unsqueeze', [c.input(p), g.int64s([axis])], c.outputs[0]!));
    g.node('Concat', parts, [c.outputs[0]!], { axis: int(axis) });
  },
  Unpack: (g, c) => {
    const rank = c.shape('value').length;
    const axis = axisOf(attr<number>(c, 'axis'), rank);
    const n = c.outputs.length;
    const parts = n === 1 ? [c.input('value')] : c.outputs.map((o) => g.fresh(o));
    if (n > 1) g.node('Split', [c.input('value'), g.int64s(new Array<number>(n).fill(1))], parts, { axis: int(axis) });
    parts.forEach((part, i) => g.node('Squeeze', [part, g.int64s([axis])], [c.outputs[i]!]));
  },
  SplitV: (g, c) => {
    const rank = c.shape('x').length;
    const axis = axisOf(attr<number>(c, 'axis'), rank);
    const sizes = c.outputs.map((_, i) => c.outShape(i)[axis]!);
    g.node('Split', [c.input('x'), g.int64s(sizes)], [...c.outputs], { axis: int(axis) });
  },
  Slice: (g, c) => {
    const x = c.shape('x');
    const [begin] = tf.slice_util.parseSliceParams({ shape: x, dataId: {}, dtype: 'float32' }, attr(c, 'begin'), attr(c, 'size'));
    const out = c.outShape();
    const axes = x.map((_, i) => i);
    g.node('Slice', [c.input('x'), g.int64s(begin!), g.int64s(begin!.map((b, i) => b + out[i]!)), g.int64s(axes)], [c.outputs[0]!]);
  },
  StridedSlice: (g, c) => {
    const x = c.shape('x');
    const info = tf.slice_util.sliceInfo(
      x,
      attr(c, 'begin'),
      attr(c, 'end'),
      attr(c, 'strides'),
      attr(c, 'beginMask'),
      attr(c, 'endMask'),
      attr(c, 'ellipsisMask'),
      attr(c, 'newAxisMask'),
      attr(c, 'shrinkAxisMask'),
    );
    const ends = info.end.map((e, i) => (info.strides[i]! < 0 && e < 0 ? BEFORE_START : e));
    const sliced = g.apply('Slice', [c.input('x'), g.int64s(info.begin), g.int64s(ends), g.int64s(x.map((_, i) => i)), g.int64s(info.strides)], c.outputs[0]!);
    g.node('Reshape', [sliced, g.int64s(c.outShape())], [c.outputs[0]!]);
  },
  Reverse: (g, c) => {
    const rank = c.shape('x').length;
    const dims = tf.util.parseAxisParam(attr<number | number[]>(c, 'dims'), c.shape('x'));
    if (dims.length === 0 || rank === 0) {
      g.node('Identity', [c.input('x')], [c.outputs[0]!]);
      return;
    }
    g.node('Slice', [c.input('x'), g.int64s(dims.map(() => -1)), g.int64s(dims.map(() => BEFORE_START)), g.int64s(dims), g.int64s(dims.map(() => -1))], [c.outputs[0]!]);
  },
  Tile: (g, c) => g.node('Tile', [c.input('x'), g.int64s(attr<number[]>(c, 'reps'))], [c.outputs[0]!]),
  PadV2: (g, c) => {
    const paddings = attr<[number, number][]>(c, 'paddings');
    const pads = [...paddings.map((p) => p[0]), ...paddings.map((p) => p[1])];
    g.node('Pad', [c.input('x'), g.int64s(pads), scalarLike(g, attr(c, 'constantValue'), c.dtype('x'))], [c.outputs[0]!], { mode: str('constant') });
  },
  MirrorPad: (g, c) => {
    const mode = attr<string>(c, 'mode');
    // ONNX's reflect is TF's; TF's symmetric (the edge repeated) has no ONNX mode.
    if (mode !== 'reflect') throw new Untranslatable(`mode ${mode}`);
    const paddings = attr<[number, number][]>(c, 'paddings');
    g.node('Pad', [c.input('x'), g.int64s([...paddings.map((p) => p[0]), ...paddings.map((p) => p[1])])], [c.outputs[0]!], { mode: str('reflect') });
  },
  DepthToSpace: (g, c) => {
    if ((c.attrs.dataFormat ?? 'NHWC') !== 'NHWC') throw new Untranslatable(`dataFormat ${String(c.attrs.dataFormat)}`);
    const x = g.apply('Transpose', [c.input('x')], c.outputs[0]!, { perm: ints(TO_NCHW) });
    const y = g.apply('DepthToSpace', [x], c.outputs[0]!, { blocksize: int(attr<number>(c, 'blockSize')), mode: str('DCR') });
    g.node('Transpose', [y], [c.outputs[0]!], { perm: ints(TO_NHWC) });
  },

  // Indexing.
  GatherV2: (g, c) => {
    if (attr<number>(c, 'batchDims') !== 0) throw new Untranslatable(`batchDims ${attr<number>(c, 'batchDims')}`);
    const axis = axisOf(attr<number>(c, 'axis'), c.shape('x').length);
    g.node('Gather', [c.input('x'), c.input('indices')], [c.outputs[0]!], { axis: int(axis) });
  },
  GatherNd: (g, c) => g.node('GatherND', [c.input('params'), cast(g, c.input('indices'), 'int64')], [c.outputs[0]!]),
  OneHot: (g, c) => {
    // indices[..., None] == range(depth): ids outside the range give a row of off values, as in TF.js.
    const depth = attr<number>(c, 'depth');
    const dtype = c.outDType();
    const indices = g.apply('Unsqueeze', [c.input('indices'), g.int64s([-1])], c.outputs[0]!);
    const ids = c.dtype('indices') === 'int32' ? indices : cast(g, indices, 'int32');
    const hit = g.apply('Equal', [ids, g.constant(Array.from({ length: depth }, (_, i) => i), 'int32', [depth], 'range')], c.outputs[0]!);
    g.node('Where', [hit, scalarLike(g, attr(c, 'onValue'), dtype), scalarLike(g, attr(c, 'offValue'), dtype)], [c.outputs[0]!]);
  },

  // Tensors made from attributes alone.
  Fill: constantFrom((c, n) => new Array<number>(n).fill(Number(c.attrs.value))),
  ZerosLike: constantFrom((_, n) => new Array<number>(n).fill(0)),
  OnesLike: constantFrom((_, n) => new Array<number>(n).fill(1)),
  Range: constantFrom((c, n) => Array.from({ length: n }, (_, i) => attr<number>(c, 'start') + i * attr<number>(c, 'step'))),
  LinSpace: constantFrom((c, n) => {
    const start = attr<number>(c, 'start');
    const step = n > 1 ? (attr<number>(c, 'stop') - start) / (n - 1) : 0;
    return Float32Array.from({ length: n }, (_, i) => start + i * step);
  }),
};

