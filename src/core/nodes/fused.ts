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
    if (t.dtype !== 'float32') throw new Error(`${kernel.name}: input "${name}" must be float32, not ${t.dtype}`);
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

// ---------------------------------------------------------------- kernels several kinds use

/** Threads per workgroup of the reductions below. */
export const WORKGROUP = 64;

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
  const cols = shape.at(-1)!;
  return {
    key,
    workgroupSize: WORKGROUP,
    dispatch: workgroupGrid(cols),
    uniforms: [{ name: 'rows', value: tf.util.sizeFromShape(shape) / cols, type: 'i32' }, { name: 'cols', value: cols, type: 'i32' }],
    code: `${WORKGROUP_SUM}
  fn main(index : i32) {
    let c = ${WORKGROUP_INDEX};
    let cols = uniforms.cols;
    let valid = c < cols;
    var sum = 0.0;
    if (valid) { for (var row = i32(localId.x); row < uniforms.rows; row += ${WORKGROUP}) { sum += ${term}; } }
    let total = gcWorkgroupSum(sum, 0);
    if (valid && localId.x == 0u) { result[c] = total; }
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

const WGSL_SIGMOID = `
  fn gcSigmoid(x : f32) -> f32 { let e = exp(-abs(x)); return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0); }`;

interface Scale {
  /** What the sum is multiplied by: a loss's weight over the batch size (or over the element count, for a mean). */
  scale: number;
}

const pairKernels = new Map<string, FusedKernel<Scale>>();

/**
 * scale·Σ f(a, b) over every element, a scalar, in one kernel (one workgroup,
 * its threads striding over the elements), and each input's gradient in
 * one: the whole of a loss that averages per-example sums.
 */
function pairKernelOf(term: PairTerm): FusedKernel<Scale> {
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
    wgsl: ([, a], attrs) => {
      const size = tf.util.sizeFromShape(a!);
      return {
        key: which,
        workgroupSize: WORKGROUP,
        dispatch: workgroupGrid(Math.ceil(size / WORKGROUP)),
        uniforms: [
          { name: 'count', value: size, type: 'i32' },
          { name: 'scale', value: attrs.scale, type: 'f32' },
        ],
        code: `${WGSL_SIGMOID}
  fn gcTerm(a : f32, b : f32) -> f32 { return ${term.wgsl[which]}; }
  fn main(index : i32) {
    let i = ${threadIndex(WORKGROUP)};
    if (i >= uniforms.count) { return; }
    result[i] = dy[0] * uniforms.scale * gcTerm(a[i], b[i]);
  }`,
      };
    },
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
      code: `${WORKGROUP_SUM}${WGSL_SIGMOID}
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
        const scale = { scale: (attrs as unknown as Scale).scale };
        return {
          a: () => runFused(da, { dy: dy as tf.Tensor, a: a!, b: b! }, scale),
          b: () => runFused(db, { dy: dy as tf.Tensor, a: a!, b: b! }, scale),
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
const MAX_SUMMED = 65_535 * WORKGROUP;

/**
 * scale·Σ term(a, b) over all elements as one fused kernel (a scalar), or
 * undefined for inputs too large for its one workgroup (the caller then
 * runs the unfused ops).
 */
export function scaledSumFused(term: PairTerm, a: tf.Tensor, b: tf.Tensor, scale: number): tf.Tensor | undefined {
  if (a.size > MAX_SUMMED) return undefined;
  return runFused(pairKernelOf(term), { a, b }, { scale });
}
