/**
 * Training kernels for TF.js's wasm backend (4.22) that it lacks or gets wrong.
 *
 * Missing there: Conv2DBackpropFilter (the filter gradient of conv2d and
 * conv2dTranspose), UnsortedSegmentSum (the gradient of gather, so embeddings
 * cannot train), DepthwiseConv2dNativeBackpropInput and ...BackpropFilter.
 * Wrong there: MaxPoolGrad (gradients land on the wrong pixels whenever
 * windows have padding or stride 2) and ResizeNearestNeighborGrad.
 *
 * Each kernel here is a plain loop in JavaScript over the backend's memory:
 * inputs are read through views on the wasm heap and the result is written
 * straight into a freshly allocated output. Allocation may grow (and so move)
 * the heap, so every kernel allocates its output before it takes any view.
 */
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  Conv2DBackpropFilter,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  getKernel,
  MaxPoolGrad,
  registerKernel,
  ResizeNearestNeighborGrad,
  unregisterKernel,
  UnsortedSegmentSum,
  util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

const BACKEND = 'wasm';

type Shape4 = [number, number, number, number];
type PadAttr = 'same' | 'valid' | number | backend_util.ExplicitPadding;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs: Record<string, unknown>;
}

function kernel(kernelName: string, fn: (args: KernelArgs) => TensorInfo): KernelConfig {
  return { kernelName, backendName: BACKEND, kernelFunc: fn as unknown as KernelFunc };
}

function input(args: KernelArgs, name: string): TensorInfo {
  const t = args.inputs[name];
  if (t == null) throw new Error(`wasm training kernel: missing input '${name}'`);
  return t;
}

function rank4(t: TensorInfo, what: string): Shape4 {
  if (t.shape.length !== 4) throw new Error(`${what} must be rank 4, got shape [${t.shape.join(', ')}]`);
  return t.shape as Shape4;
}

/**
 * Element strides of a 4D image as (batch, row, column, channel), whichever
 * the memory layout.
 */
function imageStrides(shape: Shape4, channelsLast: boolean): Shape4 {
  const [, a, b, c] = shape;
  // channelsLast: [N, H, W, C]; channelsFirst: [N, C, H, W].
  return channelsLast ? [a * b * c, b * c, c, 1] : [a * b * c, c, 1, b * c];
}

/**
 * dW[r, c, i, o] = sum over batch and output positions of
 * x[b, y·sH + r − top, x·sW + c − left, i] · dy[b, y, x, o].
 */
function conv2DBackpropFilter(args: KernelArgs): TensorInfo {
  const { backend, attrs } = args;
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const dataFormat = (attrs.dataFormat as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC';
  const info = backend_util.computeConv2DInfo(
    rank4(x, 'Conv2DBackpropFilter x'),
    attrs.filterShape as Shape4,
    attrs.strides as number | [number, number],
    1,
    attrs.pad as PadAttr,
    attrs.dimRoundingMode as RoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW, dilationHeight: dH, dilationWidth: dW } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const channelsLast = info.dataFormat === 'channelsLast';
  const [xB, xR, xC, xD] = imageStrides(x.shape as Shape4, channelsLast);
  const [yB, yR, yC, yD] = imageStrides(dy.shape as Shape4, channelsLast);

  // The filter is small; summing in doubles keeps long sums accurate.
  const acc = new Float64Array(fH * fW * inChannels * outChannels);
  const out = backend.makeOutput(info.filterShape, 'float32');
  const xs = backend.typedArrayFromHeap(x);
  const dys = backend.typedArrayFromHeap(dy);
  const dws = backend.typedArrayFromHeap(out);

  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const rowCorner = oy * sH - top;
      for (let ox = 0; ox < outWidth; ox++) {
        const colCorner = ox * sW - left;
        const dyBase = b * yB + oy * yR + ox * yC;
        for (let r = 0; r < fH; r++) {
          const ir = rowCorner + r * dH;
          if (ir < 0 || ir >= inHeight) continue;
          for (let c = 0; c < fW; c++) {
            const ic = colCorner + c * dW;
            if (ic < 0 || ic >= inWidth) continue;
            const xBase = b * xB + ir * xR + ic * xC;
            const wBase = (r * fW + c) * inChannels * outChannels;
            for (let i = 0; i < inChannels; i++) {
              const xv = xs[xBase + i * xD]!;
              if (xv === 0) continue;
              const w0 = wBase + i * outChannels;
              for (let o = 0; o < outChannels; o++) acc[w0 + o]! += xv * dys[dyBase + o * yD]!;
            }
          }
        }
      }
    }
  }
  dws.set(acc);
  return out;
}

/**
 * Sums the rows of `x` that share a segment id: out[s, ...] = sum over i with
 * ids[i] = s of x[i, ...]. Ids outside [0, numSegments) are dropped.
 */
function unsortedSegmentSum(args: KernelArgs): TensorInfo {
  const { backend, attrs } = args;
  const x = input(args, 'x');
  const ids = input(args, 'segmentIds');
  const numSegments = attrs.numSegments as number;
  const idRank = ids.shape.length;
  for (let i = 0; i < idRank; i++) {
    if (ids.shape[i] !== x.shape[i]) {
      throw new Error(`UnsortedSegmentSum: segmentIds shape [${ids.shape.join(', ')}] is not a prefix of x shape [${x.shape.join(', ')}]`);
    }
  }
  const numIds = util.sizeFromShape(ids.shape);
  const inner = util.sizeFromShape(x.shape.slice(idRank));
  const acc = new Float64Array(numSegments * inner);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(idRank)], x.dtype);
  const xs = backend.typedArrayFromHeap(x);
  const idv = backend.typedArrayFromHeap(ids);
  const outv = backend.typedArrayFromHeap(out);
  for (let i = 0; i < numIds; i++) {
    const s = Math.trunc(idv[i]!);
    if (!(s >= 0 && s < numSegments)) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) acc[dst + j]! += xs[src + j]!;
  }
  outv.set(acc);
  return out;
}

/**
 * Routes each dy value to the first largest pixel of its window (scanning row
 * by row), as the cpu backend and TensorFlow do; padding never wins.
 */
function maxPoolGrad(args: KernelArgs): TensorInfo {
  const { backend, attrs } = args;
  const dy = input(args, 'dy');
  const x = input(args, 'input');
  const info = backend_util.computePool2DInfo(
    rank4(x, 'MaxPoolGrad input'),
    attrs.filterSize as number | [number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as PadAttr,
    attrs.dimRoundingMode as RoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: C, outHeight, outWidth } = info;
  const { strideHeight: sH, strideWidth: sW, effectiveFilterHeight: fH, effectiveFilterWidth: fW } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const best = new Float64Array(C);
  const where = new Int32Array(C);

  const out = backend.makeOutput(x.shape, x.dtype);
  const xs = backend.typedArrayFromHeap(x);
  const dys = backend.typedArrayFromHeap(dy);
  const dxs = backend.typedArrayFromHeap(out);
  dxs.fill(0);

  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * C;
    for (let oy = 0; oy < outHeight; oy++) {
      const rowCorner = oy * sH - top;
      const r0 = Math.max(0, rowCorner);
      const r1 = Math.min(inHeight, rowCorner + fH);
      for (let ox = 0; ox < outWidth; ox++) {
        const colCorner = ox * sW - left;
        const c0 = Math.max(0, colCorner);
        const c1 = Math.min(inWidth, colCorner + fW);
        best.fill(Number.NEGATIVE_INFINITY);
        where.fill(-1);
        for (let r = r0; r < r1; r++) {
          for (let c = c0; c < c1; c++) {
            const base = xBatch + (r * inWidth + c) * C;
            for (let d = 0; d < C; d++) {
              const v = xs[base + d]!;
              if (v > best[d]!) {
                best[d] = v;
                where[d] = base + d;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * C;
        for (let d = 0; d < C; d++) {
          const p = where[d]!;
          if (p >= 0) dxs[p]! += dys[dyBase + d]!;
        }
      }
    }
  }
  return out;
}

/** The source pixel the forward resize reads for output index `i`, as TF.js's cpu kernel computes it. */
function nearestSource(i: number, ratio: number, inSize: number, alignCorners: boolean, halfPixelCenters: boolean): number {
  const frac = halfPixelCenters ? ratio * (i + 0.5) : ratio * i;
  const src = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
  return halfPixelCenters ? Math.max(0, src) : src;
}

/** The exact adjoint of the forward nearest-neighbour resize: each dy value goes back to the pixel it was copied from. */
function resizeNearestNeighborGrad(args: KernelArgs): TensorInfo {
  const { backend, attrs } = args;
  const images = input(args, 'images');
  const dy = input(args, 'dy');
  const alignCorners = Boolean(attrs.alignCorners);
  const halfPixelCenters = Boolean(attrs.halfPixelCenters);
  const [batch, inH, inW, C] = rank4(images, 'ResizeNearestNeighborGrad images');
  const [, outH, outW] = rank4(dy, 'ResizeNearestNeighborGrad dy');
  const effIn = (n: number, out: number) => (alignCorners && out > 1 ? n - 1 : n);
  const effOut = (out: number) => (alignCorners && out > 1 ? out - 1 : out);
  const rowRatio = effIn(inH, outH) / effOut(outH);
  const colRatio = effIn(inW, outW) / effOut(outW);
  const rows = Int32Array.from({ length: outH }, (_, i) => nearestSource(i, rowRatio, inH, alignCorners, halfPixelCenters));
  const cols = Int32Array.from({ length: outW }, (_, i) => nearestSource(i, colRatio, inW, alignCorners, halfPixelCenters));

  const out = backend.makeOutput(images.shape, 'float32');
  const dys = backend.typedArrayFromHeap(dy);
  const dxs = backend.typedArrayFromHeap(out);
  dxs.fill(0);
  let k = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const rowBase = (b * inH + rows[oy]!) * inW;
      for (let ox = 0; ox < outW; ox++) {
        const base = (rowBase + cols[ox]!) * C;
        for (let d = 0; d < C; d++) dxs[base + d]! += dys[k++]!;
      }
    }
  }
  return out;
}

function depthwiseInfo(args: KernelArgs, inShape: Shape4, filterShape: Shape4): backend_util.Conv2DInfo {
  const { attrs } = args;
  return backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    attrs.strides as number | [number, number],
    (attrs.dilations as number | [number, number] | undefined) ?? 1,
    attrs.pad as PadAttr,
    attrs.dimRoundingMode as RoundingMode,
    true,
  );
}

/**
 * Walks every (output pixel, filter tap) pair of a depthwise convolution and
 * calls `visit(xBase, dyBase, wBase)`, the offsets of the input pixel, the
 * output pixel and the filter tap (channel 0).
 */
function forEachDepthwiseTap(info: backend_util.Conv2DInfo, visit: (xBase: number, dyBase: number, wBase: number) => void): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW, dilationHeight: dH, dilationWidth: dW } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        for (let r = 0; r < fH; r++) {
          const ir = oy * sH - top + r * dH;
          if (ir < 0 || ir >= inHeight) continue;
          for (let c = 0; c < fW; c++) {
            const ic = ox * sW - left + c * dW;
            if (ic < 0 || ic >= inWidth) continue;
            visit(((b * inHeight + ir) * inWidth + ic) * inChannels, dyBase, (r * fW + c) * outChannels);
          }
        }
      }
    }
  }
}

/** dW[r, c, i, m] = sum of x[b, .., .., i] · dy[b, y, x, i·M + m]. */
function depthwiseConv2dNativeBackpropFilter(args: KernelArgs): TensorInfo {
  const { backend, attrs } = args;
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const info = depthwiseInfo(args, rank4(x, 'DepthwiseConv2dNativeBackpropFilter x'), attrs.filterShape as Shape4);
  const { inChannels, outChannels } = info;
  const mult = outChannels / inChannels;
  const acc = new Float64Array(info.filterHeight * info.filterWidth * outChannels);
  const out = backend.makeOutput(info.filterShape, 'float32');
  const xs = backend.typedArrayFromHeap(x);
  const dys = backend.typedArrayFromHeap(dy);
  // Filter [fH, fW, inC, M] flattens a tap's channels as i·M + m, the same order as dy's.
  forEachDepthwiseTap(info, (xBase, dyBase, wBase) => {
    for (let i = 0; i < inChannels; i++) {
      const xv = xs[xBase + i]!;
      for (let m = 0; m < mult; m++) {
        const o = i * mult + m;
        acc[wBase + o]! += xv * dys[dyBase + o]!;
      }
    }
  });
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}

/** dx[b, .., .., i] = sum of filter[r, c, i, m] · dy[b, y, x, i·M + m]. */
function depthwiseConv2dNativeBackpropInput(args: KernelArgs): TensorInfo {
  const { backend, attrs } = args;
  const dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const inputShape = attrs.inputShape as Shape4;
  const info = depthwiseInfo(args, inputShape, rank4(filter, 'DepthwiseConv2dNativeBackpropInput filter'));
  const { inChannels, outChannels } = info;
  const mult = outChannels / inChannels;
  const out = backend.makeOutput(inputShape, 'float32');
  const dys = backend.typedArrayFromHeap(dy);
  const ws = backend.typedArrayFromHeap(filter);
  const dxs = backend.typedArrayFromHeap(out);
  dxs.fill(0);
  forEachDepthwiseTap(info, (xBase, dyBase, wBase) => {
    for (let i = 0; i < inChannels; i++) {
      let sum = 0;
      for (let m = 0; m < mult; m++) {
        const o = i * mult + m;
        sum += ws[wBase + o]! * dys[dyBase + o]!;
      }
      dxs[xBase + i]! += sum;
    }
  });
  return out;
}

/** The kernels this module puts in place on the wasm backend. */
export const wasmTrainingKernels: readonly KernelConfig[] = [
  kernel(Conv2DBackpropFilter, conv2DBackpropFilter),
  kernel(UnsortedSegmentSum, unsortedSegmentSum),
  kernel(MaxPoolGrad, maxPoolGrad),
  kernel(ResizeNearestNeighborGrad, resizeNearestNeighborGrad),
  kernel(DepthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropFilter),
  kernel(DepthwiseConv2dNativeBackpropInput, depthwiseConv2dNativeBackpropInput),
];

/**
 * Registers the kernels above for the wasm backend, replacing the backend's own
 * where it has one. Safe to call more than once; it works before or after the
 * backend is initialised, since none of these kernels needs setup.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of wasmTrainingKernels) {
    const existing = getKernel(config.kernelName, BACKEND);
    if (existing?.kernelFunc === config.kernelFunc) continue;
    // registerKernel overwrites an existing kernel, but warns; remove it first.
    if (existing) unregisterKernel(config.kernelName, BACKEND);
    registerKernel(config);
  }
}
