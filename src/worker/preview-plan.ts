/**
 * Which previews a program gets while it trains, chosen from what each
 * sampler's definition says it produces and from the graph's roles
 * (core/train/roles.ts): images → a sample grid; 2D points → a scatter of
 * the data against samples; a sampler that decodes an encoder's latent →
 * also a latent interpolation; a schedule loop (DDPM, DDIM) → also its
 * denoising trajectory; tokens → text samples. Pure: it reads shapes from
 * the analysis only.
 */
import type { Program, SamplerPlan } from '../core/compiler/program.ts';
import { planOutput, samplerName, samplerOf, type SamplerValues } from '../core/nodes/sampler-types.ts';
import { adversarialObjectives, sampleLayout, samplerOutputShape, walksEncodedLatent, type SampleLayout } from '../core/train/roles.ts';

export { sampleLayout, type SampleLayout };

/** Chains that visit every step of a schedule longer than this (DDPM) are previewed on a strided chain (DDIM with η = 1). */
export const DDPM_PREVIEW_LIMIT = 200;
/** Steps of that strided chain. */
export const DDPM_PREVIEW_STEPS = 50;

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

const valuesOf = (program: Program): SamplerValues => ({ valueOf: (key) => program.analysis.values.get(key) });

function trajectoryOf(program: Program, plan: SamplerPlan): TrajectorySpec | undefined {
  const chain = samplerOf(plan).chain?.(plan, valuesOf(program));
  if (!chain) return undefined;
  return chain.everyStep && chain.steps > DDPM_PREVIEW_LIMIT ? { chain: chain.name, steps: chain.steps, shortened: DDPM_PREVIEW_STEPS } : { chain: chain.name, steps: chain.steps };
}

export function previewPlan(program: Program): PreviewSpec[] {
  const specs: PreviewSpec[] = [];
  for (const plan of program.samplers) {
    const sampler = samplerName(plan);
    if (planOutput(plan, valuesOf(program)).kind === 'tokens') {
      specs.push({ kind: 'text', sampler });
      continue;
    }
    const shape = samplerOutputShape(program, plan);
    const layout = shape ? sampleLayout(shape) : { kind: 'other' as const };
    if (layout.kind === 'points') specs.push({ kind: 'scatter', sampler });
    else if (layout.kind === 'image') {
      const trajectory = trajectoryOf(program, plan);
      specs.push({ kind: 'grid', sampler, layout, ...(trajectory ? { trajectory } : {}) });
      if (walksEncodedLatent(program, plan)) specs.push({ kind: 'interpolation', sampler, layout });
    }
  }
  return specs;
}

/** Adversarial objectives pulling against each other (a GAN's): shown as a balance chart of their losses. */
export function hasAdversarialBalance(program: Pick<Program, 'objectives'>): boolean {
  return adversarialObjectives(program).length >= 2;
}
