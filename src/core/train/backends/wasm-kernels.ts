/**
 * Training kernels for TF.js's wasm backend (4.22) that it lacks, gets wrong,
 * or runs far slower than the forward pass.
 *
 * Missing there: Conv2DBackpropFilter (the filter gradient of conv2d and
 * conv2dTranspose), UnsortedSegmentSum (the gradient of gather, so embeddings
 * cannot train), DepthwiseConv2dNativeBackpropInput and ...BackpropFilter.
 * Wrong there: MaxPoolGrad (right only for stride 1 without padding) and
 * ResizeNearestNeighborGrad (ignores halfPixelCenters).
 * Slow there: Conv2DBackpropInput (correct, but a tenth of the forward
 * convolution's speed; conv2dTranspose's forward pass runs it too).
 *
 * The kernels are JavaScript over the backend's memory: inputs are read
 * through views on the wasm heap and results are written straight into
 * outputs allocated there. The convolution gradients run as forward
 * convolutions on the backend's own Conv2D where they can (the filter
 * gradient always in NHWC, the input gradient at stride 1); otherwise they
 * lay out im2col patches in JavaScript and hand the matrix product to the
 * backend's BatchMatMul.
 * Allocation may grow (and so move) the heap, which detaches older views,
 * so a kernel takes its views only after its last allocation.
 */
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  _FusedMatMul,
  BatchMatMul,
  Concat,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  getKernel,
  MaxPoolGrad,
  registerKernel,
  ResizeNearestNeighborGrad,
  Slice,
  slice_util,
  Transpose,
  unregisterKernel,
  UnsortedSegmentSum,
  util,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
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
 * Writes the transpose of the rows × cols matrix at src[offset...] into dst
 * (cols × rows), in tiles so that neither side strides through memory.
 */
function transposeInto(src: ArrayLike<number>, offset: number, rows: number, cols: number, dst: { [i: number]: number }): void {
  const T = 32;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(rows, r0 + T);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(cols, c0 + T);
      for (let r = r0; r < r1; r++) {
        const base = offset + r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[base + c]!;
      }
    }
  }
}

/** Floats per im2col chunk: bounds the scratch memory of the convolution gradients at 16 MiB. */
let PATCH_CHUNK_FLOATS = 1 << 22;

/** Sets the floats per im2col chunk (at least one row is always taken); returns the previous value. */
export function setIm2colChunkFloats(floats: number): number {
  const previous = PATCH_CHUNK_FLOATS;
  PATCH_CHUNK_FLOATS = Math.max(1, Math.floor(floats));
  return previous;
}

/** A 2D convolution's geometry from a kernel's attrs (dilation 1). */
function conv2DInfo(attrs: Record<string, unknown>, inShape: Shape4, filterShape: Shape4): backend_util.Conv2DInfo {
  const dataFormat = (attrs.dataFormat as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC';
  return backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    attrs.strides as number | [number, number],
    1,
    attrs.pad as PadAttr,
    attrs.dimRoundingMode as RoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
}

/**
 * How the patch-matrix kernels cut their work: K values per patch, one patch
 * per output position, and as many positions per chunk as fit the cap.
 */
function patchPlan(info: backend_util.Conv2DInfo) {
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const positions = info.batchSize * info.outHeight * info.outWidth;
  const rowsPerChunk = Math.max(1, Math.min(positions, Math.floor(PATCH_CHUNK_FLOATS / Math.max(1, K))));
  return { top: info.padInfo.top, left: info.padInfo.left, K, positions, rowsPerChunk };
}

/**
 * dW[r, c, i, o] = sum over batch and output positions of
 * x[b, y·sH + r − top, x·sW + c − left, i] · dy[b, y, x, o].
 *
 * NHWC runs as one forward convolution on the backend (see
 * conv2DBackpropFilterAsConv); NCHW runs a direct loop.
 */
function conv2DBackpropFilter(args: KernelArgs): TensorInfo {
  const { attrs } = args;
  const x = input(args, 'x');
  const info = conv2DInfo(attrs, rank4(x, 'Conv2DBackpropFilter x'), attrs.filterShape as Shape4);
  const conv = getKernel(Conv2D, BACKEND);
  const transpose = getKernel(Transpose, BACKEND);
  if (info.dataFormat === 'channelsLast' && conv != null && transpose != null) return conv2DBackpropFilterAsConv(args, info, conv, transpose);
  return conv2DBackpropFilterDirect(args, info);
}

/**
 * The filter gradient as one forward convolution on the backend's own (XNNPACK)
 * Conv2D, with the batch in the channel's place:
 *   dW[r, c, i, o] = Σ_b,y,x xᵀ[i, y·sH + r − top, x·sW + c − left, b] · dyᵀ[y, x, b, o]
 * is the convolution of xᵀ = x as [C, H, W, B] with dyᵀ = dy as a filter
 * [outH, outW, B, N], dilated by the stride, giving dW as [C, fH, fW, N].
 * It runs at about the forward convolution's speed: im2col in JavaScript
 * took two and a half times as long.
 */
function conv2DBackpropFilterAsConv(args: KernelArgs, info: backend_util.Conv2DInfo, conv: KernelConfig, transpose: KernelConfig): TensorInfo {
  const { backend } = args;
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const { inHeight, inWidth, outHeight, outWidth, filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW } = info;
  const { top, left } = info.padInfo;
  const run = (config: KernelConfig, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap) =>
    config.kernelFunc({ inputs, attrs, backend }) as TensorInfo;
  // Padding after the image so that the output is at least fH × fW; a forward
  // convolution that left rows or columns unread gives a larger output, cropped below.
  const bottom = Math.max(0, fH + (outHeight - 1) * sH - inHeight - top);
  const right = Math.max(0, fW + (outWidth - 1) * sW - inWidth - left);
  const xT = run(transpose, { x }, { perm: [3, 1, 2, 0] });
  const dyT = run(transpose, { x: dy }, { perm: [1, 2, 0, 3] });
  const product = run(conv, { x: xT, filter: dyT }, {
    strides: [1, 1],
    pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    dataFormat: 'NHWC',
    dilations: [sH, sW],
  });
  backend.disposeData(xT.dataId);
  backend.disposeData(dyT.dataId);
  const [C, pH, pW, N] = product.shape as Shape4;
  let cropped = product;
  if (pH !== fH || pW !== fW) {
    cropped = backend.makeOutput([C, fH, fW, N], 'float32');
    const src = backend.typedArrayFromHeap(product);
    const dst = backend.typedArrayFromHeap(cropped);
    for (let i = 0; i < C; i++) {
      for (let r = 0; r < fH; r++) {
        const from = ((i * pH + r) * pW) * N;
        dst.set(src.subarray(from, from + fW * N), ((i * fH + r) * fW) * N);
      }
    }
    backend.disposeData(product.dataId);
  }
  const dw = run(transpose, { x: cropped }, { perm: [1, 2, 0, 3] });
  backend.disposeData(cropped.dataId);
  return dw;
}

function conv2DBackpropFilterDirect(args: KernelArgs, info: backend_util.Conv2DInfo): TensorInfo {
  const { backend } = args;
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW } = info;
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
          const ir = rowCorner + r;
          if (ir < 0 || ir >= inHeight) continue;
          for (let c = 0; c < fW; c++) {
            const ic = colCorner + c;
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
 * dx[b, ir, ic, i] = sum over the output pixels and filter taps that read it of
 * filter[r, c, i, o] · dy[b, oy, ox, o].
 *
 * The backend has this kernel and it is correct, but it runs a direct loop at
 * a tenth of the forward convolution's speed; conv2dTranspose's forward pass
 * uses it too. NHWC runs here as one matrix product per chunk of output pixels
 * (dy · filterᵀ on the backend's BatchMatMul) and a scatter of the columns
 * back onto the image (col2im); NCHW runs a direct loop.
 */
function conv2DBackpropInput(args: KernelArgs): TensorInfo {
  const { attrs } = args;
  const filter = input(args, 'filter');
  const info = conv2DInfo(attrs, attrs.inputShape as Shape4, rank4(filter, 'Conv2DBackpropInput filter'));
  const conv = getKernel(Conv2D, BACKEND);
  const { padInfo, filterHeight: fH, filterWidth: fW } = info;
  // Stride 1 and padding no wider than the filter: the turned filter's padding is then not negative.
  const asConv = info.strideHeight === 1 && info.strideWidth === 1 && Math.max(padInfo.top, padInfo.bottom) < fH && Math.max(padInfo.left, padInfo.right) < fW;
  if (info.dataFormat === 'channelsLast' && asConv && conv != null) return conv2DBackpropInputAsConv(args, info, conv);
  const matMul = getKernel(BatchMatMul, BACKEND);
  if (info.dataFormat === 'channelsLast' && matMul != null) return conv2DBackpropInputCol2im(args, info, matMul);
  return conv2DBackpropInputDirect(args, info);
}

/**
 * With stride 1, the input gradient is a forward convolution of dy with the
 * filter turned by 180° and its channels swapped:
 *   dx[b, i, j, c] = Σ dy[b, i − (fH−1−top) + r, j − (fW−1−left) + s, o] · W[fH−1−r, fW−1−s, c, o]
 * which runs on the backend's (XNNPACK) Conv2D at its speed, twice that of col2im.
 */
function conv2DBackpropInputAsConv(args: KernelArgs, info: backend_util.Conv2DInfo, conv: KernelConfig): TensorInfo {
  const { backend } = args;
  const dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const { inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels: N, filterHeight: fH, filterWidth: fW } = info;
  const { top, left } = info.padInfo;
  const turned = backend.makeOutput([fH, fW, N, C], 'float32');
  {
    const ws = backend.typedArrayFromHeap(filter);
    const ts = backend.typedArrayFromHeap(turned);
    for (let r = 0; r < fH; r++) {
      for (let c = 0; c < fW; c++) {
        const from = ((fH - 1 - r) * fW + (fW - 1 - c)) * C * N;
        transposeInto(ws, from, C, N, ts.subarray((r * fW + c) * N * C));
      }
    }
  }
  const padTop = fH - 1 - top;
  const padLeft = fW - 1 - left;
  const dx = conv.kernelFunc({
    inputs: { x: dy, filter: turned },
    attrs: {
      strides: [1, 1],
      pad: [[0, 0], [padTop, inHeight - outHeight + top], [padLeft, inWidth - outWidth + left], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [1, 1],
    },
    backend,
  }) as TensorInfo;
  backend.disposeData(turned.dataId);
  return dx;
}

function conv2DBackpropInputCol2im(args: KernelArgs, info: backend_util.Conv2DInfo, matMul: KernelConfig): TensorInfo {
  const { backend } = args;
  const dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const { inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels: N } = info;
  const { filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW } = info;
  const { top, left, K, positions, rowsPerChunk } = patchPlan(info);

  const out = backend.makeOutput(info.inShape, 'float32');
  // The filter [fH, fW, C, N] is a [K, N] matrix; the product wants its transpose.
  const filterT = backend.makeOutput([1, N, K], 'float32');
  {
    const ws = backend.typedArrayFromHeap(filter);
    const wt = backend.typedArrayFromHeap(filterT);
    transposeInto(ws, 0, K, N, wt);
    backend.typedArrayFromHeap(out).fill(0);
  }
  for (let start = 0; start < positions; start += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, positions - start);
    const dyRows = backend.makeOutput([1, rows, N], 'float32');
    backend.typedArrayFromHeap(dyRows).set(backend.typedArrayFromHeap(dy).subarray(start * N, (start + rows) * N));
    const cols = matMul.kernelFunc({
      inputs: { a: dyRows, b: filterT },
      attrs: { transposeA: false, transposeB: false },
      backend,
    }) as TensorInfo;
    // Views only after allocating: a growing heap detaches older ones.
    const cs = backend.typedArrayFromHeap(cols);
    const dxs = backend.typedArrayFromHeap(out);
    for (let j = 0; j < rows; j++) {
      const pos = start + j;
      const ox = pos % outWidth;
      const oy = Math.floor(pos / outWidth) % outHeight;
      const b = Math.floor(pos / (outWidth * outHeight));
      let k = j * K;
      for (let r = 0; r < fH; r++) {
        const ir = oy * sH - top + r;
        if (ir < 0 || ir >= inHeight) {
          k += fW * C;
          continue;
        }
        for (let c = 0; c < fW; c++, k += C) {
          const ic = ox * sW - left + c;
          if (ic < 0 || ic >= inWidth) continue;
          const dst = ((b * inHeight + ir) * inWidth + ic) * C;
          for (let i = 0; i < C; i++) dxs[dst + i]! += cs[k + i]!;
        }
      }
    }
    backend.disposeData(dyRows.dataId);
    backend.disposeData(cols.dataId);
  }
  backend.disposeData(filterT.dataId);
  return out;
}

function conv2DBackpropInputDirect(args: KernelArgs, info: backend_util.Conv2DInfo): TensorInfo {
  const { backend } = args;
  const dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const channelsLast = info.dataFormat === 'channelsLast';
  const [xB, xR, xC, xD] = imageStrides(info.inShape, channelsLast);
  const [yB, yR, yC, yD] = imageStrides(dy.shape as Shape4, channelsLast);

  const out = backend.makeOutput(info.inShape, 'float32');
  const dys = backend.typedArrayFromHeap(dy);
  const ws = backend.typedArrayFromHeap(filter);
  const dxs = backend.typedArrayFromHeap(out);
  dxs.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = b * yB + oy * yR + ox * yC;
        for (let r = 0; r < fH; r++) {
          const ir = oy * sH - top + r;
          if (ir < 0 || ir >= inHeight) continue;
          for (let c = 0; c < fW; c++) {
            const ic = ox * sW - left + c;
            if (ic < 0 || ic >= inWidth) continue;
            const xBase = b * xB + ir * xR + ic * xC;
            const wBase = (r * fW + c) * inChannels * outChannels;
            for (let i = 0; i < inChannels; i++) {
              const w0 = wBase + i * outChannels;
              let sum = 0;
              for (let o = 0; o < outChannels; o++) sum += ws[w0 + o]! * dys[dyBase + o * yD]!;
              dxs[xBase + i * xD]! += sum;
            }
          }
        }
      }
    }
  }
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

/**
 * The backend's own BatchMatMul, kept when ours replaces it. Ours transposes
 * an operand first when asked for a transposed product: the backend's kernel
 * is several times slower with transposeA or transposeB (a [1024, 256]ᵀ ·
 * [1024, 64] product: 16.2 ms, against 3.3 ms transposing first), and the
 * backward pass of every dense layer is made of such products.
 */
let nativeBatchMatMul: KernelFunc | undefined;

/**
 * The backend's own _FusedMatMul (product, bias, activation), kept when ours
 * replaces it. Ours transposes first as batchMatMul does, for the same
 * speed, and because the backend's kernel adds the bias wrongly to a product
 * with transposeB: every row after the first got the last unit's bias
 * (TF.js 4.22; tests/backends/wasm-kernels.test.ts).
 */
let nativeFusedMatMul: KernelFunc | undefined;

function fusedMatMul(args: KernelArgs): TensorInfo {
  return withoutTransposes(args, nativeFusedMatMul as unknown as (a: KernelArgs) => TensorInfo);
}

function batchMatMul(args: KernelArgs): TensorInfo {
  return withoutTransposes(args, nativeBatchMatMul as unknown as (a: KernelArgs) => TensorInfo);
}

/** Runs a product kernel with its transposed operands transposed beforehand. */
function withoutTransposes(args: KernelArgs, native: (a: KernelArgs) => TensorInfo): TensorInfo {
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  if (!transposeA && !transposeB) return native(args);
  const transpose = getKernel(Transpose, BACKEND)!.kernelFunc as unknown as (a: KernelArgs) => TensorInfo;
  const flip = (t: TensorInfo) => {
    const rank = t.shape.length;
    const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
    return transpose({ inputs: { x: t }, attrs: { perm }, backend: args.backend });
  };
  const a = transposeA ? flip(input(args, 'a')) : input(args, 'a');
  const b = transposeB ? flip(input(args, 'b')) : input(args, 'b');
  try {
    return native({ inputs: { ...args.inputs, a, b }, attrs: { ...args.attrs, transposeA: false, transposeB: false }, backend: args.backend });
  } finally {
    if (transposeA) args.backend.disposeData(a.dataId);
    if (transposeB) args.backend.disposeData(b.dataId);
  }
}

/**
 * The backend's own Slice and Concat, kept when ours replace them. Theirs
 * read every input through readSync, which copies the whole tensor out of
 * the heap: ten contiguous slices of a 650,000-float vector (the optimizer's
 * write-back, optimizers.ts) took 18.8 ms, and its concatenation 6.4 ms. Ours
 * copy straight from heap views where the layout allows, and hand every
 * other case to the backend's kernel.
 */
let nativeSlice: KernelFunc | undefined;
let nativeConcat: KernelFunc | undefined;

function slice(args: KernelArgs): TensorInfo {
  const x = input(args, 'x');
  const [begin, size] = slice_util.parseSliceParams(x, args.attrs.begin as number[], args.attrs.size as number[]) as [number[], number[]];
  if (x.dtype !== 'float32' || !slice_util.isSliceContinous(x.shape, begin, size)) return (nativeSlice as unknown as (a: KernelArgs) => TensorInfo)(args);
  const offset = slice_util.computeFlatOffset(begin, util.computeStrides(x.shape));
  const out = args.backend.makeOutput(size, 'float32');
  args.backend.typedArrayFromHeap(out).set(args.backend.typedArrayFromHeap(x).subarray(offset, offset + util.sizeFromShape(size)));
  return out;
}

function concat(args: KernelArgs): TensorInfo {
  const tensors = Object.values(args.inputs) as TensorInfo[];
  const axis = util.parseAxisParam(args.attrs.axis as number, tensors[0]!.shape)[0]!;
  // Only where the pieces lie one after another in the result: nothing before the axis but size-1 dimensions.
  const flat = tensors.every((t) => t.dtype === 'float32' && util.sizeFromShape(t.shape.slice(0, axis)) === 1);
  if (!flat || tensors.length < 2) return (nativeConcat as unknown as (a: KernelArgs) => TensorInfo)(args);
  const out = args.backend.makeOutput(backend_util.computeOutShape(tensors.map((t) => t.shape), axis), 'float32');
  const values = args.backend.typedArrayFromHeap(out);
  let offset = 0;
  for (const t of tensors) {
    values.set(args.backend.typedArrayFromHeap(t), offset);
    offset += util.sizeFromShape(t.shape);
  }
  return out;
}

/** The kernels this module puts in place on the wasm backend. */
export const wasmTrainingKernels: readonly KernelConfig[] = [
  kernel(Conv2DBackpropFilter, conv2DBackpropFilter),
  kernel(Conv2DBackpropInput, conv2DBackpropInput),
  kernel(UnsortedSegmentSum, unsortedSegmentSum),
  kernel(MaxPoolGrad, maxPoolGrad),
  kernel(ResizeNearestNeighborGrad, resizeNearestNeighborGrad),
  kernel(DepthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropFilter),
  kernel(DepthwiseConv2dNativeBackpropInput, depthwiseConv2dNativeBackpropInput),
  kernel(BatchMatMul, batchMatMul),
  kernel(_FusedMatMul, fusedMatMul),
  kernel(Slice, slice),
  kernel(Concat, concat),
];

/** The kernels of ours that call the backend's own: where each keeps it. */
const WRAPPED: Record<string, (native: KernelFunc | undefined) => void> = {
  [BatchMatMul]: (native) => (nativeBatchMatMul = native),
  [_FusedMatMul]: (native) => (nativeFusedMatMul = native),
  [Slice]: (native) => (nativeSlice = native),
  [Concat]: (native) => (nativeConcat = native),
};

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
    const wrapped = WRAPPED[config.kernelName];
    if (wrapped) {
      // Ours calls the backend's, which binds its wasm function in its setup.
      wrapped(existing?.kernelFunc);
      registerKernel({ ...config, ...(existing?.setupFunc ? { setupFunc: existing.setupFunc } : {}) });
    } else registerKernel(config);
  }
}
