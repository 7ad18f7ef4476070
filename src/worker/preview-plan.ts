/**
 * Which previews a program gets while it trains, chosen from what each
 * sampler's definition says it produces and from the graph's roles
 * (core/train/roles.ts): images → a sample grid; 2D points → a scatter of
 * the data against samples; a sampler that decodes an encoder's latent →
 * also a latent interpolation; a schedule loop (DDPM, DDIM) → also its
 * denoising trajectory; tokens → text samples. A grid of a sampler with a
 * class condition also says its classes, so the panel can offer a class
 * picker. Pure: it reads shapes from the analysis only.
 */
import type { Program, SamplerPlan } from '../core/compiler/program.ts';
import { planOutput, samplerName, samplerOf, type SamplerValues } from '../core/nodes/sampler-types.ts';
import { conditionChoiceOf, conditionProblem, type ConditionChoice } from '../core/nodes/sampler-condition.ts';
import { adversarialObjectives, sampleLayout, samplerOutputShape, walksEncodedLatent, type SampleLayout } from '../core/train/roles.ts';

export { sampleLayout, type SampleLayout };

/** Chains that visit every step of a schedule longer than this (DDPM) are previewed on a strided chain (DDIM with η = 1). */
export const DDPM_PREVIEW_LIMIT = 200;
/** Steps of that strided chain. */
export const DDPM_PREVIEW_STEPS = 50;

export type PreviewSpec =
  | { kind: 'grid'; sampler: string; layout: Extract<SampleLayout, { kind: 'image' }>; trajectory?: TrajectorySpec; condition?: GridCondition }
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

/** A grid whose sampler is conditioned on class labels. */
export interface GridCondition {
  /** Classes of the labels (ids 0..classes−1), when the graph says. */
  classes?: number;
  /** The "no class" label of a model trained with condition dropout. */
  nullLabel?: number;
  /** The labels previews use until another choice is made: the sampler's own (each class unless its params say otherwise). */
  choice: ConditionChoice;
}

/** One entry of the class picker. */
export interface ConditionOption {
  /** Stable text for the choice (a select's value). */
  key: string;
  label: string;
  choice: ConditionChoice;
}

/** More classes than this are not listed one by one (each class and held-out labels still are). */
export const MAX_CLASS_OPTIONS = 1024;

/** The picker's value for a choice: `each-class`, `held-out` or `values:3,5`. */
export function conditionKey(choice: ConditionChoice): string {
  return choice.kind === 'values' ? `values:${choice.values.join(',')}` : choice.kind;
}

/**
 * What the class picker offers for a grid: each class (a row per class)
 * when the classes are known, each single class, the null label when there
 * is one, and a held-out batch's labels; only choices the sampler accepts.
 */
export function conditionOptions(condition: Pick<GridCondition, 'classes' | 'nullLabel'>): ConditionOption[] {
  const { classes, nullLabel } = condition;
  const usable = (choice: ConditionChoice) => conditionProblem(choice, classes, nullLabel) === undefined;
  const options: ConditionOption[] = [];
  const eachClass: ConditionChoice = { kind: 'each-class' };
  if (usable(eachClass)) options.push({ key: conditionKey(eachClass), label: 'each class (a row per class)', choice: eachClass });
  for (let label = 0; label < Math.min(classes ?? 0, MAX_CLASS_OPTIONS); label++) {
    const choice: ConditionChoice = { kind: 'values', values: [label] };
    options.push({ key: conditionKey(choice), label: `class ${label}`, choice });
  }
  if (nullLabel !== undefined) {
    const choice: ConditionChoice = { kind: 'values', values: [nullLabel] };
    if (usable(choice)) options.push({ key: conditionKey(choice), label: `no class (null label ${nullLabel})`, choice });
  }
  const heldOut: ConditionChoice = { kind: 'held-out' };
  options.push({ key: conditionKey(heldOut), label: 'held-out labels', choice: heldOut });
  return options;
}

/**
 * The chosen labels that still fit a plan's grids: a choice made for a
 * sampler is kept from run to run while that sampler has a conditioned grid
 * whose classes accept it (another graph's sampler of the same name may not).
 */
export function applicableConditions(specs: readonly PreviewSpec[], chosen: ReadonlyMap<string, ConditionChoice>): Map<string, ConditionChoice> {
  const kept = new Map<string, ConditionChoice>();
  for (const spec of specs) {
    if (spec.kind !== 'grid' || !spec.condition) continue;
    const choice = chosen.get(spec.sampler);
    if (choice && conditionProblem(choice, spec.condition.classes, spec.condition.nullLabel) === undefined) kept.set(spec.sampler, choice);
  }
  return kept;
}

function gridConditionOf(plan: SamplerPlan): GridCondition | undefined {
  if (!plan.condition) return undefined;
  const { classes, nullLabel } = plan.condition;
  // The compiler refuses a sampler whose own choice does not fit its classes, so this one can be drawn.
  const own = conditionChoiceOf(plan.op.params);
  return { ...(classes !== undefined ? { classes } : {}), ...(nullLabel !== undefined ? { nullLabel } : {}), choice: conditionProblem(own, classes, nullLabel) ? { kind: 'held-out' } : own };
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
      const condition = gridConditionOf(plan);
      specs.push({ kind: 'grid', sampler, layout, ...(trajectory ? { trajectory } : {}), ...(condition ? { condition } : {}) });
      if (walksEncodedLatent(program, plan)) specs.push({ kind: 'interpolation', sampler, layout });
    }
  }
  return specs;
}

/** Adversarial objectives pulling against each other (a GAN's): shown as a balance chart of their losses. */
export function hasAdversarialBalance(program: Pick<Program, 'objectives'>): boolean {
  return adversarialObjectives(program).length >= 2;
}
