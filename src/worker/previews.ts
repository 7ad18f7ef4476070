/**
 * Draws the previews a run shows while it trains (see preview-plan.ts),
 * over the session's current weights. Each preview uses a fixed seed, so
 * from one preview to the next the same noise is decoded and a person sees
 * the same digits sharpen rather than new ones each time. A conditioned
 * sampler's grid is drawn with the labels chosen in the panel (by default
 * its own), a row per class when each class is asked for.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SamplerPlan } from '../core/compiler/program.ts';
import { samplerName, samplerOf } from '../core/nodes/sampler-types.ts';
import type { DataSource } from '../core/data/source.ts';
import { CHAR_VOCAB } from '../core/data/datasets.ts';
import { imageGrid } from '../core/render/grid.ts';
import { columnsForLabelRuns, decodeTokens, renderSamples } from '../core/render/samples.ts';
import type { Raster } from '../core/render/raster.ts';
import { concrete } from '../core/base/shape.ts';
import { createRandom } from '../core/base/random.ts';
import { runSampler, sampleValueRange, type SampleOptions } from '../core/train/sampling.ts';
import type { TrainingSession } from '../core/train/session.ts';
import type { ConditionChoice } from '../core/nodes/sampler-condition.ts';
import type { GridCondition, PreviewSpec, TrajectorySpec } from './preview-plan.ts';
import type { ImagePreview, Preview, TextPreview } from './protocol.ts';

export const PREVIEW_SEED = 20240;
/** Pairs of latents the interpolation walks between, and the points on each line. */
const INTERPOLATION_ROWS = 4;
const INTERPOLATION_STEPS = 8;
/** Samples shown along the denoising trajectory, and snapshots of each. */
const TRAJECTORY_ROWS = 3;
const TRAJECTORY_SNAPSHOTS = 8;
/** 2D samplers draw this many points (at most), over up to 1,000 data points. */
const SCATTER_POINTS = 512;
const TEXT_SAMPLES = 12;

export interface PreviewContext {
  session: TrainingSession;
  sources: ReadonlyMap<string, DataSource>;
  /** Images in a sample grid. */
  count: number;
  /** Text samplers: the temperature chosen in the UI (default: the sampler's own). */
  temperature?: number;
  /** Conditioned samplers: the labels chosen in the UI, by sampler (default: the sampler's own). */
  conditions?: ReadonlyMap<string, ConditionChoice>;
}

/** Which previews to draw: all, or those of one kind and/or one sampler (a redraw after a choice in the panel). */
export interface PreviewFilter {
  kind?: PreviewSpec['kind'];
  sampler?: string;
}

function image(id: string, title: string, raster: Raster, note?: string): ImagePreview {
  return { kind: 'image', id, title, width: raster.width, height: raster.height, pixels: raster.data, ...(note ? { note } : {}) };
}

function planFor(session: TrainingSession, sampler: string): SamplerPlan {
  const plan = session.program.samplers.find((p) => samplerName(p) === sampler);
  if (!plan) throw new Error(`no sampler "${sampler}" in this graph`);
  return plan;
}

/** Conditioning a sampler reads beyond what it generates (an encoder-decoder's source): held-out examples. */
function feedsFor(sources: ReadonlyMap<string, DataSource>): SampleOptions['feedsFor'] {
  return (op, count) => sources.get(op.id)!.validationBatch(0, count);
}

/** A copy of a plan with some params changed (a temperature), for previews only. */
function withParams<P extends SamplerPlan>(plan: P, params: Record<string, unknown>): P {
  return { ...plan, op: { ...plan.op, params: { ...(plan.op.params as Record<string, unknown>), ...params } } };
}

async function tensorValues(tensor: tf.Tensor): Promise<Float32Array> {
  const values = (await tensor.data()) as Float32Array;
  tensor.dispose();
  return values;
}

/** Samples in a grid drawn with `choice`: for each class, whole rows of about equal length (near `count` tiles in all). */
export function conditionedCount(choice: ConditionChoice, classes: number | undefined, count: number): number {
  if (choice.kind !== 'each-class' || classes === undefined) return count;
  const perClass = Math.min(Math.ceil(Math.sqrt(count)), Math.round(count / classes));
  return perClass >= 1 ? perClass * classes : count;
}

const labelName = (label: number, nullLabel: number | undefined) => (label === nullLabel ? 'no class (null label)' : `class ${label}`);

/** What the labels of a grid were, said under it. */
function conditionNote(choice: ConditionChoice, condition: GridCondition): string {
  if (choice.kind === 'each-class') return 'a row per class';
  if (choice.kind === 'held-out') return 'labels of held-out examples';
  const named = choice.values.map((v) => labelName(v, condition.nullLabel));
  return named.length === 1 ? `all of ${named[0]}` : named.join(', ');
}

async function grid(ctx: PreviewContext, spec: Extract<PreviewSpec, { kind: 'grid' }>): Promise<ImagePreview[]> {
  const plan = planFor(ctx.session, spec.sampler);
  const range = sampleValueRange(ctx.session.program);
  const { height, width, channels } = spec.layout;
  const title = spec.trajectory ? spec.trajectory.chain.toUpperCase() : 'Samples';
  const choice = spec.condition ? (ctx.conditions?.get(spec.sampler) ?? spec.condition.choice) : undefined;
  const count = choice ? conditionedCount(choice, spec.condition!.classes, ctx.count) : ctx.count;
  const sampleOptions: SampleOptions = { count, seed: PREVIEW_SEED, feedsFor: feedsFor(ctx.sources), ...(choice ? { condition: choice } : {}) };
  const render = (values: Float32Array, labels: number[] | undefined) => {
    // Each class on its own row: tiles per row = the length of a run of one label.
    const columns = labels ? columnsForLabelRuns(labels) : undefined;
    return renderSamples({ values, shape: [count, height, width, channels], range, ...(columns && columns > 1 ? { columns } : {}) });
  };
  const conditionOf = (labels: number[] | undefined): Pick<ImagePreview, 'condition'> => {
    if (!spec.condition || !choice || !labels) return {};
    const { classes, nullLabel } = spec.condition;
    return { condition: { sampler: spec.sampler, ...(classes !== undefined ? { classes } : {}), ...(nullLabel !== undefined ? { nullLabel } : {}), choice, labels } };
  };
  const labelNote = choice ? conditionNote(choice, spec.condition!) : undefined;
  if (!spec.trajectory) {
    const result = await runSampler(ctx.session, plan, sampleOptions);
    if (result.kind !== 'tensor') return [];
    const values = await tensorValues(result.tensor);
    return [{ ...image(`grid:${spec.sampler}`, `${title} (${spec.sampler})`, render(values, result.labels), labelNote), ...conditionOf(result.labels) }];
  }
  // One denoising run gives both the final grid and the trajectory of some of its samples.
  const trajectory: TrajectorySpec = spec.trajectory;
  const total = trajectory.shortened ?? trajectory.steps;
  const keepAt = new Set(Array.from({ length: TRAJECTORY_SNAPSHOTS }, (_, i) => Math.round((i * (total - 1)) / (TRAJECTORY_SNAPSHOTS - 1))));
  const rows = Math.min(TRAJECTORY_ROWS, count);
  // Conditioned: samples spread over the grid, so that with a row per class the strips show different classes.
  const rowIndices = Array.from({ length: rows }, (_, r) => (choice ? Math.floor((r * count) / rows) : r));
  const snapshots: tf.Tensor[] = [];
  const onStep: SampleOptions['onStep'] = (index, _total, x) => {
    if (keepAt.has(index)) snapshots.push(tf.tidy(() => tf.gather(x, rowIndices)));
  };
  try {
    const result = await runSampler(ctx.session, plan, { ...sampleOptions, onStep, ...(trajectory.shortened ? { strided: trajectory.shortened } : {}) });
    if (result.kind !== 'tensor') return [];
    const values = await tensorValues(result.tensor);
    const chainNote = trajectory.shortened
      ? `DDPM preview on a ${trajectory.shortened}-step strided chain (η = 1) instead of all ${trajectory.steps} steps, to keep training fast`
      : `${total} denoising steps`;
    const gridNote = labelNote ? `${labelNote}; ${chainNote}` : chainNote;
    const gridPreview = { ...image(`grid:${spec.sampler}`, `${title} samples (${spec.sampler})`, render(values, result.labels), gridNote), ...conditionOf(result.labels) };
    // Sample-major strip: row r shows one sample from noise (left) to its final value (right).
    const size = height * width * channels;
    const frames = await Promise.all(snapshots.map((s) => s.data() as Promise<Float32Array>));
    const strip = new Float32Array(rows * frames.length * size);
    for (let r = 0; r < rows; r++) {
      frames.forEach((frame, c) => strip.set(frame.subarray(r * size, (r + 1) * size), (r * frames.length + c) * size));
    }
    const stripRaster = imageGrid(strip, rows * frames.length, height, width, channels, { range, columns: frames.length, scale: 2 });
    const rowLabels = result.labels ? `rows: ${rowIndices.map((i) => labelName(result.labels![i]!, spec.condition!.nullLabel)).join(', ')}; ` : '';
    return [gridPreview, image(`trajectory:${spec.sampler}`, `${title} trajectory: noise → sample`, stripRaster, `${rowLabels}${chainNote}`)];
  } finally {
    tf.dispose(snapshots);
  }
}

async function scatterPreview(ctx: PreviewContext, spec: Extract<PreviewSpec, { kind: 'scatter' }>): Promise<ImagePreview[]> {
  const plan = planFor(ctx.session, spec.sampler);
  const count = Math.min(SCATTER_POINTS, (plan.op.params as { count?: number }).count ?? SCATTER_POINTS);
  const result = await runSampler(ctx.session, plan, { count, seed: PREVIEW_SEED, feedsFor: feedsFor(ctx.sources) });
  if (result.kind !== 'tensor') return [];
  const values = await tensorValues(result.tensor);
  const source = [...ctx.sources.values()][0];
  let reference: Float32Array | undefined;
  if (source && source.size.validation > 0) {
    const batch = source.validationBatch(0, Math.min(1000, source.size.validation));
    reference = batch.x ? ((await batch.x.data()) as Float32Array) : undefined;
    tf.dispose(Object.values(batch));
  }
  const raster = renderSamples({ family: result.family, values, shape: [count, 2], ...(reference ? { reference } : {}) });
  return [image(`scatter:${spec.sampler}`, `Data (grey) and samples (red): ${spec.sampler}`, raster)];
}

async function interpolation(ctx: PreviewContext, spec: Extract<PreviewSpec, { kind: 'interpolation' }>): Promise<ImagePreview[]> {
  const plan = planFor(ctx.session, spec.sampler);
  const latentKey = samplerOf(plan).latent?.(plan);
  if (latentKey === undefined) return [];
  const latentShape = concrete(ctx.session.program.analysis.values.get(latentKey)!.shape, 1).slice(1);
  const random = createRandom(PREVIEW_SEED + 1);
  const latent = tf.tidy(() => {
    const ends = random.normal([INTERPOLATION_ROWS, 2, ...latentShape]);
    const [from, to] = tf.split(ends, 2, 1).map((t) => tf.squeeze(t, [1]));
    const lines: tf.Tensor[] = [];
    for (let i = 0; i < INTERPOLATION_STEPS; i++) {
      const w = i / (INTERPOLATION_STEPS - 1);
      lines.push(tf.add(tf.mul(from!, 1 - w), tf.mul(to!, w)));
    }
    // Row-major grid: row r is the line of pair r.
    return tf.reshape(tf.stack(lines, 1), [INTERPOLATION_ROWS * INTERPOLATION_STEPS, ...latentShape]);
  });
  try {
    const result = await runSampler(ctx.session, plan, { latent });
    if (result.kind !== 'tensor') return [];
    const values = await tensorValues(result.tensor);
    const { height, width, channels } = spec.layout;
    const raster = imageGrid(values, INTERPOLATION_ROWS * INTERPOLATION_STEPS, height, width, channels, { range: sampleValueRange(ctx.session.program), columns: INTERPOLATION_STEPS, scale: 2 });
    return [image(`interpolation:${spec.sampler}`, 'Latent interpolation', raster, 'each row decodes a straight line between two latent points')];
  } finally {
    latent.dispose();
  }
}

async function textPreview(ctx: PreviewContext, spec: Extract<PreviewSpec, { kind: 'text' }>): Promise<TextPreview[]> {
  const plan = planFor(ctx.session, spec.sampler);
  const own = (plan.op.params as { temperature: number }).temperature;
  const temperature = ctx.temperature ?? own;
  const result = await runSampler(ctx.session, withParams(plan, { temperature }), { count: TEXT_SAMPLES, seed: PREVIEW_SEED, feedsFor: feedsFor(ctx.sources) });
  if (result.kind !== 'tokens') return [];
  const source = [...ctx.sources.values()][0];
  const texts = source?.decode ? result.tokens.map((t) => source.decode!([1, ...t])) : decodeTokens(result.tokens, CHAR_VOCAB);
  return [{ kind: 'text', id: `text:${spec.sampler}`, title: `Text samples (${spec.sampler})`, texts, temperature }];
}

/** Draws every preview in `specs` (or those `only` selects). */
export async function renderPreviews(ctx: PreviewContext, specs: readonly PreviewSpec[], only: PreviewFilter = {}): Promise<Preview[]> {
  const previews: Preview[] = [];
  for (const spec of specs) {
    if ((only.kind !== undefined && spec.kind !== only.kind) || (only.sampler !== undefined && spec.sampler !== only.sampler)) continue;
    switch (spec.kind) {
      case 'grid':
        previews.push(...(await grid(ctx, spec)));
        break;
      case 'scatter':
        previews.push(...(await scatterPreview(ctx, spec)));
        break;
      case 'interpolation':
        previews.push(...(await interpolation(ctx, spec)));
        break;
      case 'text':
        previews.push(...(await textPreview(ctx, spec)));
        break;
    }
  }
  return previews;
}
