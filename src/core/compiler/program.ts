/**
 * Compiles an analysed document into a Program: the variables, the ops each
 * objective runs and the variables it updates, and for each sampler the
 * plan of what it substitutes and re-runs. No family is special-cased: every
 * graph goes through the same path, and a compile error names its node.
 */
import type { GraphDocument, ObjectiveSettings, OptimizerSettings } from '../graph/schema.ts';
import { zObjectiveSettings } from '../graph/schema.ts';
import type { Init } from '../nodes/types.ts';
import { analyze, type Analysis, type FlatOp, type NodePlace } from '../shapes/analyze.ts';
import { diagnostic, hasErrors, type Diagnostic } from '../shapes/diagnostics.ts';
import type { Shape } from '../shapes/shape.ts';
import { variableKey } from './forward.ts';

export interface VariableDecl {
  key: string;
  shape: number[];
  init: Init;
  origin: NodePlace;
}

export interface CompiledObjective {
  id: string;
  /** The loss ops whose sum is minimised. */
  losses: FlatOp[];
  /** Every op the losses need, in execution order. */
  ops: FlatOp[];
  /** Keys of the variables this objective updates. */
  variables: string[];
  optimizer: OptimizerSettings;
  share: number;
}

/** One step of running a flow backwards. */
export type InverseStep =
  | { kind: 'inverse'; op: FlatOp }
  /** A conditioning op (e.g. a coupling's s/t network) run forwards on values already recovered. */
  | { kind: 'forward'; op: FlatOp };

export type SamplerPlan =
  | { kind: 'prior'; op: FlatOp; latent: string; output: string; ops: FlatOp[] }
  | { kind: 'flow'; op: FlatOp; latent: string; data: string; steps: InverseStep[]; setup: FlatOp[] }
  | { kind: 'ddpm' | 'ddim'; op: FlatOp; prediction: string; schedule: string; xt: string; t: string; dataShape: Shape; ops: FlatOp[]; setup: FlatOp[] }
  | { kind: 'autoregressive'; op: FlatOp; logits: string; tokens: string; ops: FlatOp[] };

export interface Program {
  document: GraphDocument;
  analysis: Analysis;
  variables: VariableDecl[];
  /** Ops fed from outside (Data and Input). */
  feeds: FlatOp[];
  objectives: CompiledObjective[];
  samplers: SamplerPlan[];
  /** Value key → the op that produces it. */
  producers: Map<string, FlatOp>;
}

export type CompileResult = { ok: true; program: Program; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

const FEED_KINDS = new Set(['Data', 'Input']);

/** Ops needed to compute `targets`, in execution order; the walk stops at `stops` (values supplied otherwise). */
export function opsFor(analysis: Analysis, producers: Map<string, FlatOp>, targets: Iterable<string>, stops: ReadonlySet<string> = new Set()): FlatOp[] {
  const needed = new Set<FlatOp>();
  const stack = [...targets];
  while (stack.length > 0) {
    const key = stack.pop()!;
    if (stops.has(key)) continue;
    const op = producers.get(key);
    if (!op || needed.has(op)) continue;
    needed.add(op);
    for (const input of Object.values(op.inputs)) stack.push(input);
  }
  return analysis.ops.filter((op) => needed.has(op));
}

function place(op: FlatOp) {
  return op.origin.module ? { node: op.origin.node, module: op.origin.module } : { node: op.origin.node };
}

/** Objectives from the document, or one with defaults per objective the loss nodes name. */
function objectiveSettings(doc: GraphDocument, lossOps: FlatOp[]): ObjectiveSettings[] {
  if (doc.training.objectives.length > 0) return doc.training.objectives;
  const names = [...new Set(lossOps.map((op) => (op.params as { objective: string }).objective))];
  return names.map((id) => zObjectiveSettings.parse({ id }));
}

export function compile(doc: GraphDocument, analysis: Analysis = analyze(doc)): CompileResult {
  if (hasErrors(analysis.diagnostics)) return { ok: false, diagnostics: analysis.diagnostics };
  const diagnostics: Diagnostic[] = [...analysis.diagnostics];
  const trainOps = analysis.ops.filter((op) => op.phase === 'train');
  const producers = new Map<string, FlatOp>();
  for (const op of analysis.ops) for (const key of Object.values(op.outputs)) producers.set(key, op);

  const variables: VariableDecl[] = [];
  const seen = new Set<string>();
  for (const op of trainOps) {
    for (const spec of op.variables) {
      const key = variableKey(op, spec);
      if (seen.has(key)) continue;
      seen.add(key);
      variables.push({ key, shape: spec.shape, init: spec.init, origin: op.origin });
    }
  }

  // Instances name their module's variables; blocks and layers their own scope.
  const instanceModule = new Map(doc.nodes.filter((n) => n.kind === 'Module').map((n) => [n.id, String(n.params.module)]));
  const scopeOf = (name: string) => `${instanceModule.get(name) ?? name}/`;

  const lossOps = trainOps.filter((op) => op.def.category === 'objective');
  const objectives: CompiledObjective[] = [];
  objectiveSettings(doc, lossOps).forEach((settings, i) => {
    const losses = lossOps.filter((op) => (op.params as { objective: string }).objective === settings.id);
    const ops = opsFor(analysis, producers, losses.map((op) => op.outputs.loss!));
    const used = new Set(ops.flatMap((op) => op.variables.map((spec) => variableKey(op, spec))));
    const prefixes = settings.updates.map(scopeOf);
    const updated = variables
      .map((v) => v.key)
      .filter((key) => used.has(key) && (prefixes.length === 0 || prefixes.some((p) => key.startsWith(p))));
    if (losses.length > 0 && updated.length === 0) {
      diagnostics.push(
        diagnostic('GC204', { objective: settings.id, updates: settings.updates.length > 0 ? settings.updates.join(', ') : 'everything' }, { path: `training.objectives[${i}]` }),
      );
    }
    if (losses.length > 0) objectives.push({ id: settings.id, losses, ops, variables: updated, optimizer: settings.optimizer, share: settings.share });
  });

  const samplers: SamplerPlan[] = [];
  for (const op of analysis.ops.filter((o) => o.phase === 'sample')) {
    const plan = planSampler(op, analysis, producers);
    if ('error' in plan) diagnostics.push(diagnostic('GC205', { sampler: op.id, reason: plan.error }, place(op)));
    else samplers.push(plan);
  }

  if (hasErrors(diagnostics)) return { ok: false, diagnostics };
  return {
    ok: true,
    diagnostics,
    program: { document: doc, analysis, variables, feeds: trainOps.filter((op) => FEED_KINDS.has(op.kind)), objectives, samplers, producers },
  };
}

function planSampler(op: FlatOp, analysis: Analysis, producers: Map<string, FlatOp>): SamplerPlan | { error: string } {
  switch (op.kind) {
    case 'PriorSampler': {
      const latent = op.inputs.latent!;
      const output = op.inputs.output!;
      const ops = opsFor(analysis, producers, [output], new Set([latent]));
      if (!ops.some((o) => Object.values(o.inputs).includes(latent))) return { error: 'its output does not depend on its latent input' };
      return { kind: 'prior', op, latent, output, ops };
    }
    case 'FlowInverseSampler':
      return planFlow(op, analysis, producers);
    case 'DDPMSampler':
    case 'DDIMSampler': {
      const prediction = op.inputs.prediction!;
      const schedule = op.inputs.schedule!;
      const diffuse = opsFor(analysis, producers, [prediction]).find((o) => o.kind === 'Diffuse');
      if (!diffuse) return { error: 'no Diffuse node feeds the prediction, so there is no noisy input to denoise' };
      const xt = diffuse.outputs.xt!;
      const t = diffuse.outputs.t!;
      const ops = opsFor(analysis, producers, [prediction], new Set([xt, t]));
      if (ops.some((o) => o.kind === 'Diffuse' || FEED_KINDS.has(o.kind))) {
        return { error: 'the denoiser needs inputs other than the noisy sample and its step' };
      }
      const dataShape = analysis.values.get(diffuse.inputs.x0!)!.shape;
      const setup = opsFor(analysis, producers, [schedule]);
      return { kind: op.kind === 'DDPMSampler' ? 'ddpm' : 'ddim', op, prediction, schedule, xt, t, dataShape, ops, setup };
    }
    case 'AutoregressiveSampler': {
      const logits = op.inputs.logits!;
      const all = opsFor(analysis, producers, [logits]);
      const tokenFeeds = all
        .filter((o) => FEED_KINDS.has(o.kind))
        .flatMap((o) => Object.values(o.outputs).filter((key) => analysis.values.get(key)?.type === 'tokens' && all.some((u) => Object.values(u.inputs).includes(key))));
      const chosen = op.inputs.tokens;
      if (chosen !== undefined && !tokenFeeds.includes(chosen)) return { error: 'its tokens input is not a token input of the model that feeds its logits' };
      if (chosen === undefined && tokenFeeds.length !== 1) {
        return { error: tokenFeeds.length === 0 ? 'no token input feeds its logits' : 'more than one token input feeds its logits: connect the one to generate into its "tokens" input' };
      }
      const tokens = chosen ?? tokenFeeds[0]!;
      return { kind: 'autoregressive', op, logits, tokens, ops: opsFor(analysis, producers, [logits], new Set([tokens])) };
    }
    default:
      return { error: `sampler kind ${op.kind} has no plan` };
  }
}

/**
 * Plans running a flow backwards from its latent to its data: repeatedly
 * invert an op whose outputs are known, or run forwards a conditioning op
 * whose inputs are known, until the data value is recovered.
 */
function planFlow(op: FlatOp, analysis: Analysis, producers: Map<string, FlatOp>): SamplerPlan | { error: string } {
  const latent = op.inputs.latent!;
  const chain = opsFor(analysis, producers, [latent]);
  const source = chain.find((o) => FEED_KINDS.has(o.kind));
  if (!source) return { error: 'no Data or Input node starts the flow' };
  const data = Object.values(source.outputs).find((key) => chain.some((o) => Object.values(o.inputs).includes(key)))!;
  const known = new Set([latent]);
  const steps: InverseStep[] = [];
  const done = new Set<FlatOp>([source]);
  let progress = true;
  while (!known.has(data) && progress) {
    progress = false;
    for (const candidate of [...chain].reverse()) {
      if (done.has(candidate)) continue;
      const inv = candidate.def.invertible;
      if (inv) {
        const conditioning = Object.entries(candidate.inputs).filter(([port]) => !inv.inputs.includes(port) && port !== 'logdet');
        const outputsKnown = inv.outputs.every((port) => known.has(candidate.outputs[port]!));
        if (!outputsKnown || !conditioning.every(([, key]) => known.has(key))) continue;
        steps.push({ kind: 'inverse', op: candidate });
        for (const port of inv.inputs) if (candidate.inputs[port]) known.add(candidate.inputs[port]!);
      } else {
        const inputs = Object.values(candidate.inputs);
        if (inputs.length === 0 || !inputs.every((key) => known.has(key))) continue;
        steps.push({ kind: 'forward', op: candidate });
        for (const key of Object.values(candidate.outputs)) known.add(key);
      }
      done.add(candidate);
      progress = true;
    }
  }
  if (!known.has(data)) {
    const stuck = chain.find((o) => !done.has(o) && !o.def.invertible && Object.values(o.inputs).length > 0);
    return { error: `the chain from data to latent cannot be run backwards${stuck ? ` at ${stuck.origin.node}` : ''}` };
  }
  return { kind: 'flow', op, latent, data, steps, setup: [] };
}
