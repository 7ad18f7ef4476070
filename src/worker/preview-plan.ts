/**
 * Which previews a program gets while it trains, chosen from what each
 * sampler's definition says it produces (and the family for the extras):
 * images → a sample grid; 2D points → a scatter of the data against samples;
 * a VAE's sampler that decodes a latent → also a latent interpolation; a
 * schedule loop (DDPM, DDIM) → also its denoising trajectory; tokens → text
 * samples. Pure: it reads shapes from the analysis only.
 */
import type { Program, SamplerPlan } from '../core/compiler/program.ts';
import { samplerOf, type SamplerValues } from '../core/nodes/sampler-types.ts';
import { concrete } from '../core/base/shape.ts';

/** Chains that visit every step of a schedule longer than this (DDPM) are previewed on a strided chain (DDIM with η = 1). */
export const DDPM_PREVIEW_LIMIT = 200;
/** Steps of that strided chain. */
export const DDPM_PREVIEW_STEPS = 50;

export type SampleLayout = { kind: 'image'; height: number; width: number; channels: 1 | 3 } | { kind: 'points' } | { kind: 'other' };

export type PreviewSpec =
  | { kind: 'grid'; sampler: string; layout: Extract<SampleLayout, { kind: 'image' }>; trajectory?: TrajectorySpec }
  | { kind: 'scatter'; sampler: string }
  | { kind: 'interpolation'; sampler: string; layout: Extract<SampleLayout, { kind: 'image' }> }
  | { kind: 'text'; sampler: string };

export interface TrajectorySpec {
  /** The loop's name ('ddpm', 'ddim'). */
  chain: string;
  /** Denoising steps of the full chain. */
  steps: number;
  /** When set, the preview runs this many strided steps instead of the full DDPM chain. */
  shortened?: number;
}

/** How one sample of this shape (batch axis first) is drawn; the same rule as render/samples.ts. */
export function sampleLayout(shape: readonly number[]): SampleLayout {
  const rest = shape.slice(1);
  if (rest.length === 1) {
    const d = rest[0]!;
    if (d === 2) return { kind: 'points' };
    const side = Math.round(Math.sqrt(d));
    if (d > 16 && side * side === d) return { kind: 'image', height: side, width: side, channels: 1 };
    return { kind: 'other' };
  }
  if (rest.length === 2) return { kind: 'image', height: rest[0]!, width: rest[1]!, channels: 1 };
  if (rest.length === 3 && (rest[2] === 1 || rest[2] === 3)) return { kind: 'image', height: rest[0]!, width: rest[1]!, channels: rest[2] };
  return { kind: 'other' };
}

const valuesOf = (program: Program): SamplerValues => ({ valueOf: (key) => program.analysis.values.get(key) });

/** The shape (batch 1) of what a sampler produces; undefined for tokens. */
export function samplerOutputShape(program: Program, plan: SamplerPlan): number[] | undefined {
  const output = samplerOf(plan).output(plan, valuesOf(program));
  return output.kind === 'tensor' && output.shape ? concrete(output.shape, 1) : undefined;
}

function trajectoryOf(program: Program, plan: SamplerPlan): TrajectorySpec | undefined {
  const chain = samplerOf(plan).chain?.(plan, valuesOf(program));
  if (!chain) return undefined;
  return chain.everyStep && chain.steps > DDPM_PREVIEW_LIMIT ? { chain: chain.name, steps: chain.steps, shortened: DDPM_PREVIEW_STEPS } : { chain: chain.name, steps: chain.steps };
}

export function previewPlan(program: Program): PreviewSpec[] {
  const specs: PreviewSpec[] = [];
  for (const plan of program.samplers) {
    const sampler = plan.op.origin.node;
    const definition = samplerOf(plan);
    if (definition.output(plan, valuesOf(program)).kind === 'tokens') {
      specs.push({ kind: 'text', sampler });
      continue;
    }
    const shape = samplerOutputShape(program, plan);
    const layout = shape ? sampleLayout(shape) : { kind: 'other' as const };
    if (layout.kind === 'points') specs.push({ kind: 'scatter', sampler });
    else if (layout.kind === 'image') {
      const trajectory = trajectoryOf(program, plan);
      specs.push({ kind: 'grid', sampler, layout, ...(trajectory ? { trajectory } : {}) });
      if (definition.latent && program.document.meta.family === 'vae') specs.push({ kind: 'interpolation', sampler, layout });
    }
  }
  return specs;
}

/** A GAN's objectives pulling against each other: shown as a balance chart of their losses. */
export function hasAdversarialBalance(program: Pick<Program, 'document' | 'objectives'>): boolean {
  return program.document.meta.family === 'gan' && program.objectives.length >= 2;
}
