/**
 * Compiles an analysed document into a Program: the variables, the ops each
 * objective runs and the variables it updates, and for each sampler the
 * plan of what it substitutes and re-runs. No family is special-cased: every
 * graph goes through the same path, and a compile error names its node.
 */
import type { GraphDocument, ObjectiveSettings, OptimizerSettings } from '../graph/schema.ts';
import { zObjectiveSettings } from '../graph/schema.ts';
import type { SamplerAfter, SamplerCondition, SamplerPlan } from '../nodes/sampler-types.ts';
import { conditionChoiceOf, conditionProblem } from '../nodes/sampler-condition.ts';
import { isLossKind, type Init } from '../nodes/types.ts';
import { analyze, type Analysis, type FlatOp, type NodePlace } from '../shapes/analyze.ts';
import { diagnostic, hasErrors, type Diagnostic } from '../base/diagnostics.ts';
import { variableKey } from './forward.ts';
import { tokenIdDiagnostics, tokenIdRanges } from './token-ids.ts';
import { inputGradientDiagnostics } from './input-gradients.ts';
import { formatShape, sameShape } from '../base/shape.ts';

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
  /** Numbers to watch on its path (outputs a kind lists in `metrics`, such as a quantizer's perplexity), reported beside the losses as `op.port`. */
  metrics: { name: string; key: string }[];
}

/** What every sampler's plan holds; each kind's plan (in its node file) adds its own fields. */
export type { SamplerPlan };

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
  const diagnostics: Diagnostic[] = [...analysis.diagnostics, ...tokenIdDiagnostics(analysis), ...inputGradientDiagnostics(analysis)];
  const trainOps = analysis.ops.filter((op) => op.phase === 'train');
  const producers = new Map<string, FlatOp>();
  for (const op of analysis.ops) for (const key of Object.values(op.outputs)) producers.set(key, op);

  const variables: VariableDecl[] = [];
  const seen = new Map<string, FlatOp>();
  for (const op of trainOps) {
    for (const spec of op.variables) {
      const key = variableKey(op, spec);
      const first = seen.get(key);
      if (first) {
        // Placements of one module share its weights: a placement that sees another input shape would need other weights.
        const shape = first.variables.find((v) => variableKey(first, v) === key)!.shape;
        // Ops of a placement have ids under the placement's node id, e.g. d_fake/critic/fc0.
        const placement = (o: FlatOp) => o.id.split('/')[0]!;
        if (!sameShape(shape, spec.shape)) diagnostics.push(diagnostic('GC117', { key, here: formatShape(spec.shape), there: formatShape(shape), first: placement(first) }, { node: placement(op) }));
        continue;
      }
      seen.set(key, op);
      variables.push({ key, shape: spec.shape, init: spec.init, origin: op.origin });
    }
  }

  // Instances name their module's variables; blocks and layers their own scope.
  const instanceModule = new Map(doc.nodes.filter((n) => n.kind === 'Module').map((n) => [n.id, String(n.params.module)]));
  const scopeOf = (name: string) => `${instanceModule.get(name) ?? name}/`;

  const lossOps = trainOps.filter((op) => isLossKind(op.def));
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
    const metrics = ops.flatMap((op) => (op.def.metrics ?? []).flatMap((port) => (op.outputs[port] === undefined ? [] : [{ name: `${op.id}.${port}`, key: op.outputs[port]! }])));
    if (losses.length > 0) objectives.push({ id: settings.id, losses, ops, variables: updated, optimizer: settings.optimizer, share: settings.share, metrics });
  });

  const trained = new Set(variables.map((v) => v.key));
  diagnostics.push(...afterSamplerDiagnostics(analysis, trained));
  const ranges = tokenIdRanges(analysis);
  const samplers: SamplerPlan[] = [];
  for (const op of analysis.ops.filter((o) => o.phase === 'sample' && o.def.sampler)) {
    const plan = planSampler(op, analysis, producers, ranges);
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

/**
 * Nodes after a sampler run only when sampling: they cannot hold a loss
 * (nothing trains on samples), and their weights must be ones training
 * updates (a placement of a trained module), else they would stay random.
 */
function afterSamplerDiagnostics(analysis: Analysis, trained: ReadonlySet<string>): Diagnostic[] {
  const out = new Map<string, Diagnostic>();
  for (const op of analysis.ops) {
    if (op.phase !== 'sample' || op.def.sampler) continue;
    let reason: string | undefined;
    if (isLossKind(op.def)) reason = 'a loss cannot be computed on samples, which exist only after training';
    else if (op.variables.some((spec) => !trained.has(variableKey(op, spec)))) {
      reason = 'it has weights that no objective trains: place a module that training uses (e.g. the decoder a loss trains) after the sampler instead';
    }
    if (reason) out.set(`${op.origin.module ?? ''}/${op.origin.node}`, diagnostic('GC118', { reason }, place(op)));
  }
  return [...out.values()];
}

/** The condition a sampler's `condition` input names: its classes and null label from the graph, and how a held-out batch computes it. */
function conditionOf(op: FlatOp, analysis: Analysis, producers: Map<string, FlatOp>, ranges: ReturnType<typeof tokenIdRanges>): SamplerCondition | undefined {
  const key = Object.hasOwn(op.inputs, 'condition') ? op.inputs.condition : undefined;
  if (key === undefined) return undefined;
  // The null label comes from the ConditionDropout that made it or that reads the labels.
  const near = [producers.get(key), ...analysis.ops.filter((o) => o.phase === 'train' && Object.values(o.inputs).includes(key))];
  const nullLabel = near.map((o) => o?.def.nullLabel?.(o.params)).find((n) => n !== undefined);
  const classes = ranges.get(key)?.count;
  return {
    key,
    ...(classes !== undefined ? { classes: nullLabel !== undefined && nullLabel === classes - 1 ? classes - 1 : classes } : {}),
    ...(nullLabel !== undefined ? { nullLabel } : {}),
    ops: opsFor(analysis, producers, [key]),
  };
}

/** The nodes after a sampler, in order, and the one value they end in; or why they cannot run. */
function afterOf(op: FlatOp, analysis: Analysis): SamplerAfter | { error: string } | undefined {
  const from = Object.values(op.outputs);
  const reached = new Set(from);
  const ops: FlatOp[] = [];
  for (const o of analysis.ops) {
    if (!Object.values(o.inputs).some((key) => reached.has(key))) continue;
    if (o.def.sampler) return { error: `its samples feed sampler "${o.id}": a sampler cannot start from another's samples` };
    ops.push(o);
    for (const key of Object.values(o.outputs)) reached.add(key);
  }
  if (ops.length === 0) return undefined;
  for (const o of ops) {
    const other = analysis.ops.find((s) => s !== op && s.def.sampler && Object.values(s.outputs).some((key) => Object.values(o.inputs).includes(key)));
    if (other) return { error: `"${o.origin.node}" after it also reads the samples of "${other.id}"` };
  }
  const read = new Set(ops.flatMap((o) => Object.values(o.inputs)));
  const ends = ops.flatMap((o) => Object.values(o.outputs)).filter((key) => !read.has(key));
  if (ends.length !== 1) return { error: `the nodes after it end in ${ends.length} values (${ends.join(', ')}); they must end in one, the samples` };
  return { from: from[0]!, ops, result: ends[0]! };
}

/** Asks the op's definition for its plan; the compiler knows no sampler kind. */
function planSampler(op: FlatOp, analysis: Analysis, producers: Map<string, FlatOp>, ranges: ReturnType<typeof tokenIdRanges>): SamplerPlan | { error: string } {
  const sampler = op.def.sampler;
  if (!sampler) return { error: `sampler kind ${op.kind} has no plan` };
  const condition = conditionOf(op, analysis, producers, ranges);
  if (condition) {
    const problem = conditionProblem(conditionChoiceOf(op.params), condition.classes, condition.nullLabel);
    if (problem) return { error: problem };
  }
  const after = afterOf(op, analysis);
  if (after && 'error' in after) return after;
  let upstream: FlatOp | undefined;
  const plan = sampler.plan({
    op,
    params: op.params,
    opsFor: (targets, stops) => {
      // The condition is supplied when sampling, so walks stop there.
      const ops = opsFor(analysis, producers, targets, condition ? new Set([...(stops ?? []), condition.key]) : stops);
      upstream ??= ops.find((o) => o.phase === 'sample');
      return ops;
    },
    isFeed: (o) => FEED_KINDS.has(o.kind),
    valueOf: (key) => analysis.values.get(key),
    ...(condition ? { condition } : {}),
  });
  if ('error' in plan) return plan;
  if (upstream) return { error: `its inputs depend on "${upstream.origin.node}", which runs only when sampling` };
  if (after && sampler.output(plan, { valueOf: (key) => analysis.values.get(key) }).kind === 'tokens') {
    return { error: 'nodes after it would read its tokens, which it produces as text, not as a tensor' };
  }
  return { ...plan, ...(condition ? { condition } : {}), ...(after ? { after } : {}) };
}
