/**
 * Fused kernels: one backend kernel in place of a chain of TF.js ops, written
 * once as a loop over flat float32 arrays (run by the cpu and wasm backends
 * on their own memory) and once as a WGSL program (run by the WebGPU backend
 * through its public WebGPUProgram interface), registered for all three
 * with TF.js's registerKernel, each the first time it runs (runFused),
 * with its gradient. A node kind's file holds its fused kernels.
 *
 * Nothing here imports a backend: each is reached through the few members
 * of its backend object named below, so a backend that is not loaded costs
 * nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** Flat inputs and output of the JavaScript form, with the inputs' shapes. */
export interface JsKernelArgs<A> {
  /** Float32Array each, except an Int32Array for an input named in the kernel's intInputs. */
  inputs: Float32Array[];
  shapes: number[][];
  attrs: A;
  out: Float32Array;
}

/** What a fused kernel's WebGPU form dispatches. */
export interface WgslProgram {
  /** Distinguishes compiled pipelines: everything the code depends on besides input shapes. */
  key: string;
  /** WGSL declarations and `fn main(index: i32) { ... }`; inputs are the storage arrays named as the kernel's inputs, the output `result`. */
  code: string;
  workgroupSize: number;
  /** Workgroups along x (at most 65,535) and y. */
  dispatch: [number, number];
  /** Scalars the code reads as `uniforms.NAME`. */
  uniforms?: { name: string; value: number; type: 'f32' | 'i32' }[];
}

export interface FusedKernel<A extends object> {
  name: string;
  /** Input names, in order: the WGSL code reads them under these names. */
  inputs: readonly string[];
  /** Inputs that are int32 (token ids); the others are float32. */
  intInputs?: readonly string[];
  outputShape(shapes: number[][], attrs: A): number[];
  js(args: JsKernelArgs<A>): void;
  wgsl(shapes: number[][], attrs: A): WgslProgram;
  /** Its gradient, where autodiff goes through it (registered with it). */
  gradient?: tf.GradConfig;
}

/** The largest workgroup count along one dispatch dimension WebGPU guarantees. */
export const MAX_WORKGROUPS = 65_535;

/** WGSL: the global index of this thread in a workgroupGrid dispatch of `size`-thread workgroups. */
export const threadIndex = (size: number) => `(${'i32(workgroupId.x + workgroupId.y * numWorkgroups.x)'} * ${size} + i32(localId.x))`;

/** Workgroups for `count` independent groups: x up to the limit, then rows of them along y. */
export function workgroupGrid(count: number): [number, number] {
  return count <= MAX_WORKGROUPS ? [Math.max(1, count), 1] : [MAX_WORKGROUPS, Math.ceil(count / MAX_WORKGROUPS)];
}

/** WGSL: the index of this workgroup in a workgroupGrid dispatch. */
export const WORKGROUP_INDEX = 'i32(workgroupId.x + workgroupId.y * numWorkgroups.x)';

// The members of each backend this module touches.
interface CpuBackend {
  data: { get(id: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}
interface WebGpuBackend {
  runWebGPUProgram(program: object, inputs: TensorInfo[], dtype: 'float32', uniforms?: { type: string; data: number[] }[]): TensorInfo;
}

interface KernelCall {
  inputs: Record<string, TensorInfo>;
  attrs: NamedAttrMap;
}

/** A call's inputs in the kernel's order (checked), their shapes and its attrs. */
function callArgs<A extends object>(kernel: FusedKernel<A>, call: KernelCall): { infos: TensorInfo[]; shapes: number[][]; attrs: A } {
  const infos = kernel.inputs.map((name) => {
    const t = call.inputs[name];
    if (!t) throw new Error(`${kernel.name}: missing input "${name}"`);
    const dtype = kernel.intInputs?.includes(name) ? 'int32' : 'float32';
    if (t.dtype !== dtype) throw new Error(`${kernel.name}: input "${name}" must be ${dtype}, not ${t.dtype}`);
    return t;
  });
  return { infos, shapes: infos.map((t) => t.shape), attrs: call.attrs as unknown as A };
}

function cpuKernel<A extends object>(kernel: FusedKernel<A>): KernelFunc {
  return ((call: KernelCall & { backend: CpuBackend }) => {
    const { infos, shapes, attrs } = callArgs(kernel, call);
    const shape = kernel.outputShape(shapes, attrs);
    const out = new Float32Array(tf.util.sizeFromShape(shape));
    kernel.js({ inputs: infos.map((t) => call.backend.data.get(t.dataId).values as Float32Array), shapes, attrs, out });
    return call.backend.makeTensorInfo(shape, 'float32', out);
  }) as unknown as KernelFunc;
}

function wasmKernel<A extends object>(kernel: FusedKernel<A>): KernelFunc {
  return ((call: KernelCall & { backend: WasmBackend }) => {
    const { infos, shapes, attrs } = callArgs(kernel, call);
    const output = call.backend.makeOutput(kernel.outputShape(shapes, attrs), 'float32');
    // Views only after the last allocation: growing the heap detaches older ones.
    kernel.js({ inputs: infos.map((t) => call.backend.typedArrayFromHeap(t)), shapes, attrs, out: call.backend.typedArrayFromHeap(output) });
    return output;
  }) as unknown as KernelFunc;
}

function webgpuKernel<A extends object>(kernel: FusedKernel<A>): KernelFunc {
  return ((call: KernelCall & { backend: WebGpuBackend }) => {
    const { infos, shapes, attrs } = callArgs(kernel, call);
    const outputShape = kernel.outputShape(shapes, attrs);
    const wgsl = kernel.wgsl(shapes, attrs);
    const uniforms = wgsl.uniforms ?? [];
    // TF.js's WebGPUProgram: it declares the inputs, `result` and the uniforms, and calls main(index).
    const program = {
      variableNames: [...kernel.inputs],
      outputShape,
      shaderKey: `${kernel.name}_${wgsl.key}_${wgsl.workgroupSize}`,
      dispatchLayout: { x: outputShape.map((_, i) => i) },
      dispatch: [wgsl.dispatch[0], wgsl.dispatch[1], 1],
      workgroupSize: [wgsl.workgroupSize, 1, 1],
      ...(uniforms.length > 0 ? { uniforms: uniforms.map((u) => `${u.name} : ${u.type},`).join(' ') } : {}),
      getUserCode: () => wgsl.code,
    };
    return call.backend.runWebGPUProgram(
      program,
      infos,
      'float32',
      uniforms.map((u) => ({ type: u.type === 'f32' ? 'float32' : 'int32', data: [u.value] })),
    );
  }) as unknown as KernelFunc;
}

/** The kernel's configs for cpu, wasm and webgpu. */
export function fusedKernelConfigs<A extends object>(kernel: FusedKernel<A>): KernelConfig[] {
  return [
    { kernelName: kernel.name, backendName: 'cpu', kernelFunc: cpuKernel(kernel) },
    { kernelName: kernel.name, backendName: 'wasm', kernelFunc: wasmKernel(kernel) },
    { kernelName: kernel.name, backendName: 'webgpu', kernelFunc: webgpuKernel(kernel) },
  ];
}

const registered = new Set<string>();

/** Registers a fused kernel for cpu, wasm and webgpu, and its gradient, once. */
export function registerFusedKernel(kernel: FusedKernel<any>): void {
  if (registered.has(kernel.name)) return;
  registered.add(kernel.name);
  for (const config of fusedKernelConfigs(kernel)) tf.registerKernel(config);
  if (kernel.gradient) tf.registerGradient(kernel.gradient);
}

/** Runs a fused kernel on the active backend (recorded for autodiff under its name), registering it first if need be. */
export function runFused<A extends object>(kernel: FusedKernel<A>, inputs: Record<string, tf.Tensor>, attrs: A): tf.Tensor {
  registerFusedKernel(kernel);
  return tf.engine().runKernel(kernel.name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as NamedAttrMap) as tf.Tensor;
}

/**
 * Whether every kernel is a GPU dispatch of roughly fixed cost (WebGPU,
 * WebGL), so that fewer, larger kernels win even where the fused kernel's
 * arithmetic is plainer than the backend's own. On the CPU backends a fused
 * kernel is a JavaScript loop, which loses to wasm's SIMD products where
 * the work is products (attention: the Transformer step took 1.34x its
 * baseline with it, 1.09x without) or many passes of simple arithmetic (the
 * optimizer).
 */
export function dispatchBound(): boolean {
  const backend = tf.getBackend();
  return backend === 'webgpu' || backend === 'webgl';
}

/** Backends the fused kernels are written for; elsewhere (webgl) node kinds run their unfused ops. */
export function fusedKernelsRunHere(): boolean {
  const backend = tf.getBackend();
  return backend === 'cpu' || backend === 'wasm' || backend === 'webgpu';
}

/**
 * Where a training step runs the fused kernels unless told: where every
 * kernel is a GPU dispatch and they run (WebGPU). On wasm the JavaScript
 * loops lose to the backend's SIMD kernels, measured on the VAE step (1.32x
 * its hand-written baseline fused, 1.10x unfused; the BCE sum's exp and log
 * alone 16 ms a step) and even on the Transformer's; the cpu backend is
 * there to check the others, so it runs what wasm runs. Tests ask for the
 * fused forms on every backend (ForwardOptions.fused).
 */
export function fusedKernelsPay(): boolean {
  return dispatchBound() && fusedKernelsRunHere();
}

// ---------------------------------------------------------------- kernels several kinds use

/** Threads per workgroup of the reductions below. */
export const WORKGROUP = 64;

/**
 * A thread per element of `size`: `body` runs with i, the element's index
 * (below uniforms.count), after `declarations` (WGSL helper functions).
 */
export function elementwiseProgram(key: string, size: number, body: string, options: { declarations?: string; uniforms?: NonNullable<WgslProgram['uniforms']> } = {}): WgslProgram {
  return {
    key,
    workgroupSize: WORKGROUP,
    dispatch: workgroupGrid(Math.ceil(size / WORKGROUP)),
    uniforms: [{ name: 'count', value: size, type: 'i32' }, ...(options.uniforms ?? [])],
    code: `${options.declarations ?? ''}
  fn main(index : i32) {
    let i = ${threadIndex(WORKGROUP)};
    if (i >= uniforms.count) { return; }
    ${body}
  }`,
  };
}

/**
 * WGSL: the sum of one value per thread over a workgroup of WORKGROUP threads,
 * in every thread. Each of a kernel's (at most two) sums has a slot of its
 * own: reusing one slot after a barrier gave wrong sums on Mesa's llvmpipe.
 * Loops stay short (features or rows / WORKGROUP iterations): llvmpipe
 * ends a shader after 65,535 loop iterations in all.
 */
export const WORKGROUP_SUM = `
  var<workgroup> gcPartial : array<array<f32, ${WORKGROUP}>, 2>;
  fn gcWorkgroupSum(value : f32, slot : i32) -> f32 {
    gcPartial[slot][localId.x] = value;
    workgroupBarrier();
    for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
      if (localId.x < s) { gcPartial[slot][localId.x] = gcPartial[slot][localId.x] + gcPartial[slot][localId.x + s]; }
      workgroupBarrier();
    }
    return gcPartial[slot][0];
  }`;

/**
 * A workgroup per feature (column) summing `term` over the rows of [rows,
 * cols], its threads taking every WORKGROUP-th row. (A thread per column looping
 * over all rows would be simpler, but Mesa's llvmpipe ends a shader after
 * 65,535 loop iterations in all.)
 */
export function perColumnProgram(key: string, shape: number[], term: string): WgslProgram {
  return columnsProgram(
    key,
    shape,
    `var sum = 0.0;
    if (valid) { for (var row = i32(localId.x); row < uniforms.rows; row += ${WORKGROUP}) { sum += ${term}; } }
    let total = gcWorkgroupSum(sum, 0);
    if (valid && localId.x == 0u) { result[c] = total; }`,
  );
}

/**
 * A workgroup per column of [rows, cols] (the layout perColumnProgram sums
 * over); `body` runs with c, cols and valid (the column exists), and reads
 * uniforms.rows and any `uniforms` given.
 */
export function columnsProgram(key: string, shape: number[], body: string, uniforms: NonNullable<WgslProgram['uniforms']> = []): WgslProgram {
  const cols = shape.at(-1)!;
  return {
    key,
    workgroupSize: WORKGROUP,
    dispatch: workgroupGrid(cols),
    uniforms: [{ name: 'rows', value: tf.util.sizeFromShape(shape) / cols, type: 'i32' }, { name: 'cols', value: cols, type: 'i32' }, ...uniforms],
    code: `${WORKGROUP_SUM}
  fn main(index : i32) {
    let c = ${WORKGROUP_INDEX};
    let cols = uniforms.cols;
    let valid = c < cols;
    ${body}
  }`,
  };
}

/** Σ over the rows of [rows, cols]: a bias's gradient. */
export const columnSumKernel: FusedKernel<object> = {
  name: 'GcColumnSum',
  inputs: ['dy'],
  outputShape: ([dy]) => [dy!.at(-1)!],
  js: ({ inputs: [dy], out }) => {
    const cols = out.length;
    out.fill(0);
    for (let row = 0; row < dy!.length / cols; row++) for (let c = 0; c < cols; c++) out[c]! += dy![row * cols + c]!;
  },
  wgsl: ([dy]) => perColumnProgram('sum', dy!, 'dy[row * cols + c]'),
};


/**
 * An element-wise term f(a, b) of two tensors of one shape [B, ...], with its
 * partial derivatives, for the losses that sum it per example (a
 * reconstruction's cross-entropy, a Gaussian KL).
 */
export interface PairTerm {
  name: string;
  value: (a: number, b: number) => number;
  da: (a: number, b: number) => number;
  db: (a: number, b: number) => number;
  /** The same three as WGSL expressions in a and b (gcSigmoid is at hand). */
  wgsl: { value: string; da: string; db: string };
}

/** WGSL: tanh and the sigmoid written so that no exp overflows. */
export const WGSL_SQUASHING = `
  fn gcTanh(x : f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
  fn gcSigmoid(x : f32) -> f32 { let e = exp(-abs(x)); return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0); }`;

interface Scale {
  /** What the sum is multiplied by: a loss's weight over the batch size (or over the element count, for a mean). */
  scale: number;
}

/** The sum's scale, and those its gradients to a and to b take (the scale, unless a term counts for one input only). */
interface Scales extends Scale {
  scaleA: number;
  scaleB: number;
}

const pairKernels = new Map<string, FusedKernel<Scales>>();

/**
 * scale·Σ f(a, b) over every element, a scalar, in one kernel (one workgroup,
 * its threads striding over the elements), and each input's gradient in
 * one: the whole of a loss that averages per-example sums.
 */
function pairKernelOf(term: PairTerm): FusedKernel<Scales> {
  let found = pairKernels.get(term.name);
  if (found) return found;
  const derivative = (which: 'da' | 'db'): FusedKernel<Scale> => ({
    name: `GcScaledSum_${term.name}_${which}`,
    inputs: ['dy', 'a', 'b'],
    outputShape: ([, a]) => a!,
    js: ({ inputs: [dy, a, b], attrs, out }) => {
      const factor = dy![0]! * attrs.scale;
      const d = term[which];
      for (let i = 0; i < out.length; i++) out[i] = factor * d(a![i]!, b![i]!);
    },
    wgsl: ([, a], attrs) =>
      elementwiseProgram(which, tf.util.sizeFromShape(a!), 'result[i] = dy[0] * uniforms.scale * gcTerm(a[i], b[i]);', {
        declarations: `${WGSL_SQUASHING}
  fn gcTerm(a : f32, b : f32) -> f32 { return ${term.wgsl[which]}; }`,
        uniforms: [{ name: 'scale', value: attrs.scale, type: 'f32' }],
      }),
  });
  const da = derivative('da');
  const db = derivative('db');
  found = {
    name: `GcScaledSum_${term.name}`,
    inputs: ['a', 'b'],
    outputShape: () => [],
    js: ({ inputs: [a, b], attrs, out }) => {
      let total = 0;
      for (let i = 0; i < a!.length; i++) total += term.value(a![i]!, b![i]!);
      out[0] = attrs.scale * total;
    },
    wgsl: ([a], attrs) => ({
      key: 'sum',
      workgroupSize: WORKGROUP,
      dispatch: [1, 1],
      uniforms: [
        { name: 'count', value: tf.util.sizeFromShape(a!), type: 'i32' },
        { name: 'scale', value: attrs.scale, type: 'f32' },
      ],
      code: `${WORKGROUP_SUM}${WGSL_SQUASHING}
  fn gcTerm(a : f32, b : f32) -> f32 { return ${term.wgsl.value}; }
  fn main(index : i32) {
    var sum = 0.0;
    for (var i = i32(localId.x); i < uniforms.count; i += ${WORKGROUP}) { sum += gcTerm(a[i], b[i]); }
    let total = gcWorkgroupSum(sum, 0);
    if (localId.x == 0u) { result[0] = uniforms.scale * total; }
  }`,
    }),
    gradient: {
      kernelName: `GcScaledSum_${term.name}`,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, [a, b], attrs) => {
        const { scaleA, scaleB } = attrs as unknown as Scales;
        return {
          a: () => runFused(da, { dy: dy as tf.Tensor, a: a!, b: b! }, { scale: scaleA }),
          b: () => runFused(db, { dy: dy as tf.Tensor, a: a!, b: b! }, { scale: scaleB }),
        };
      },
    },
  };
  pairKernels.set(term.name, found);
  return found;
}

/**
 * Elements one thread of the single summing workgroup may loop over: Mesa's
 * llvmpipe ends a shader after 65,535 loop iterations.
 */
export const MAX_SUMMED = 65_535 * WORKGROUP;

/**
 * scale·Σ term(a, b) over all elements as one fused kernel (a scalar), or
 * undefined for inputs too large for its one workgroup (the caller then
 * runs the unfused ops). `gradientScales` scale the gradients to a and b
 * instead (a sum of two terms of one value that each train one input).
 */
export function scaledSumFused(term: PairTerm, a: tf.Tensor, b: tf.Tensor, scale: number, gradientScales?: { a: number; b: number }): tf.Tensor | undefined {
  if (a.size > MAX_SUMMED) return undefined;
  return runFused(pairKernelOf(term), { a, b }, { scale, scaleA: gradientScales?.a ?? scale, scaleB: gradientScales?.b ?? scale });
}

// ---------------------------------------------------------------- token cross-entropy

interface TokenCrossEntropyAttrs {
  /** The target id whose positions do not count; −1: all count. */
  ignore: number;
  /** What the mean is multiplied by (the loss's weight). */
  weight: number;
}

/** The rows of scores [..., V] and V. */
const rowsOf = (logits: number[]) => ({ classes: logits.at(-1)!, rows: tf.util.sizeFromShape(logits) / logits.at(-1)! });

/** WGSL: log Σ exp over the row of scores starting at `start`, with its max taken out first. */
const WGSL_ROW_LOG_SUM_EXP = `
  fn gcRowLogSumExp(start : i32, classes : i32) -> f32 {
    var top = logits[start];
    for (var c = 1; c < classes; c++) { top = max(top, logits[start + c]); }
    var sum = 0.0;
    for (var c = 0; c < classes; c++) { sum += exp(logits[start + c] - top); }
    return top + log(sum);
  }`;

function rowLogSumExp(logits: Float32Array, start: number, classes: number): number {
  let top = -Infinity;
  for (let c = 0; c < classes; c++) top = Math.max(top, logits[start + c]!);
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(logits[start + c]! - top);
  return top + Math.log(sum);
}

/** Positions that count, Σ [target ≠ ignore], a scalar: what the gradient divides by. */
const tokenCountKernel: FusedKernel<TokenCrossEntropyAttrs> = {
  name: 'GcTokenCount',
  inputs: ['targets'],
  intInputs: ['targets'],
  outputShape: () => [],
  js: ({ inputs: [targets], attrs, out }) => {
    let count = 0;
    for (let i = 0; i < targets!.length; i++) if (targets![i] !== attrs.ignore) count++;
    out[0] = count;
  },
  wgsl: ([targets], attrs) => ({
    key: 'count',
    workgroupSize: WORKGROUP,
    dispatch: [1, 1],
    uniforms: [
      { name: 'rows', value: tf.util.sizeFromShape(targets!), type: 'i32' },
      { name: 'ignore', value: attrs.ignore, type: 'i32' },
    ],
    code: `${WORKGROUP_SUM}
  fn main(index : i32) {
    var count = 0.0;
    for (var r = i32(localId.x); r < uniforms.rows; r += ${WORKGROUP}) { count += select(1.0, 0.0, targets[r] == uniforms.ignore); }
    let total = gcWorkgroupSum(count, 0);
    if (localId.x == 0u) { result[0] = total; }
  }`,
  }),
};

/** ∂loss/∂scores: dy · weight / count · (softmax − onehot(target)) on the rows that count, 0 elsewhere; a thread per row. */
const tokenCrossEntropyGradKernel: FusedKernel<TokenCrossEntropyAttrs> = {
  name: 'GcTokenCrossEntropyGrad',
  inputs: ['dy', 'count', 'logits', 'targets'],
  intInputs: ['targets'],
  outputShape: ([, , logits]) => logits!,
  js: ({ inputs: [dy, count, logits, targets], attrs, out, shapes }) => {
    const { rows, classes } = rowsOf(shapes[2]!);
    const factor = (dy![0]! * attrs.weight) / Math.max(count![0]!, 1);
    for (let r = 0; r < rows; r++) {
      const start = r * classes;
      const target = targets![r]!;
      if (target === attrs.ignore) {
        out.fill(0, start, start + classes);
        continue;
      }
      const lse = rowLogSumExp(logits!, start, classes);
      for (let c = 0; c < classes; c++) out[start + c] = factor * (Math.exp(logits![start + c]! - lse) - (c === target ? 1 : 0));
    }
  },
  wgsl: ([, , logits], attrs) => {
    const { rows, classes } = rowsOf(logits!);
    return {
      key: 'grad',
      workgroupSize: WORKGROUP,
      dispatch: workgroupGrid(Math.ceil(rows / WORKGROUP)),
      uniforms: [
        { name: 'rows', value: rows, type: 'i32' },
        { name: 'classes', value: classes, type: 'i32' },
        { name: 'ignore', value: attrs.ignore, type: 'i32' },
        { name: 'weight', value: attrs.weight, type: 'f32' },
      ],
      code: `${WGSL_ROW_LOG_SUM_EXP}
  fn main(index : i32) {
    let r = ${threadIndex(WORKGROUP)};
    if (r >= uniforms.rows) { return; }
    let classes = uniforms.classes;
    let start = r * classes;
    let label = targets[r];
    if (label == uniforms.ignore) {
      for (var c = 0; c < classes; c++) { result[start + c] = 0.0; }
      return;
    }
    let factor = dy[0] * uniforms.weight / max(count[0], 1.0);
    let lse = gcRowLogSumExp(start, classes);
    for (var c = 0; c < classes; c++) { result[start + c] = factor * (exp(logits[start + c] - lse) - select(0.0, 1.0, c == label)); }
  }`,
    };
  },
};

/** weight · mean of −log softmax(scores)[target] over the positions that count, in one workgroup. */
const tokenCrossEntropyKernel: FusedKernel<TokenCrossEntropyAttrs> = {
  name: 'GcTokenCrossEntropy',
  inputs: ['logits', 'targets'],
  intInputs: ['targets'],
  outputShape: () => [],
  js: ({ inputs: [logits, targets], attrs, out, shapes }) => {
    const { rows, classes } = rowsOf(shapes[0]!);
    let total = 0;
    let count = 0;
    for (let r = 0; r < rows; r++) {
      const target = targets![r]!;
      if (target === attrs.ignore) continue;
      count++;
      total += rowLogSumExp(logits!, r * classes, classes) - logits![r * classes + target]!;
    }
    out[0] = (attrs.weight * total) / Math.max(count, 1);
  },
  wgsl: ([logits], attrs) => {
    const { rows, classes } = rowsOf(logits!);
    return {
      key: 'loss',
      workgroupSize: WORKGROUP,
      dispatch: [1, 1],
      uniforms: [
        { name: 'rows', value: rows, type: 'i32' },
        { name: 'classes', value: classes, type: 'i32' },
        { name: 'ignore', value: attrs.ignore, type: 'i32' },
        { name: 'weight', value: attrs.weight, type: 'f32' },
      ],
      code: `${WORKGROUP_SUM}${WGSL_ROW_LOG_SUM_EXP}
  fn main(index : i32) {
    var total = 0.0;
    var count = 0.0;
    for (var r = i32(localId.x); r < uniforms.rows; r += ${WORKGROUP}) {
      let label = targets[r];
      if (label != uniforms.ignore) {
        count += 1.0;
        total += gcRowLogSumExp(r * uniforms.classes, uniforms.classes) - logits[r * uniforms.classes + label];
      }
    }
    let sum = gcWorkgroupSum(total, 0);
    let counted = gcWorkgroupSum(count, 1);
    if (localId.x == 0u) { result[0] = uniforms.weight * sum / max(counted, 1.0); }
  }`,
    };
  },
  gradient: {
    kernelName: 'GcTokenCrossEntropy',
    inputsToSave: ['logits', 'targets'],
    gradFunc: (dy, [logits, targets], attrs) => {
      const a = attrs as unknown as TokenCrossEntropyAttrs;
      return {
        logits: () => tf.tidy(() => runFused(tokenCrossEntropyGradKernel, { dy: dy as tf.Tensor, count: runFused(tokenCountKernel, { targets: targets! }, a), logits: logits!, targets: targets! }, a)),
        targets: () => tf.zerosLike(targets!),
      };
    },
  },
};

/**
 * weight · the mean over positions of −log softmax(scores)[target], leaving
 * out positions whose target is `ignore` (−1: none): a classifier's or a
 * language model's cross-entropy, in one kernel (one workgroup, its threads
 * taking every WORKGROUP-th position), its gradient in two (the count of
 * positions, then a thread per position). Undefined where the one workgroup
 * would loop past llvmpipe's limit (the caller runs the unfused ops).
 */
export function tokenCrossEntropyFused(logits: tf.Tensor, targets: tf.Tensor, ignore: number, weight: number): tf.Tensor | undefined {
  const { rows, classes } = rowsOf(logits.shape);
  if (Math.ceil(rows / WORKGROUP) * (2 * classes + 2) > 60_000 || targets.size !== rows) return undefined;
  return tf.tidy(() => runFused(tokenCrossEntropyKernel, { logits, targets: targets.dtype === 'int32' ? targets : tf.cast(targets, 'int32') }, { ignore, weight }));
}
