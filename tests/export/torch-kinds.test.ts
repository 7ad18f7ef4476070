/**
 * Every kind's PyTorch form against our TF.js forward: the module or
 * expression an exported project writes for the kind (its `torch` field),
 * on the oracle's cases (tests/oracle/cases.ts) and on a few more that only
 * the export needs (EXPORT_CASES). Each case runs our forward in training
 * mode (float32, cpu backend) recording its random draws; then, in one
 * Python process (torch_kinds.py), the kind's module is built from
 * `torch.module(ctx)` (its keyword arguments rendered as model.py renders
 * them), loaded with the case's variables through `torch.weights(ctx)`,
 * turned to float64 and called with the same inputs and the same draws
 * (gencomposer.ReplayRandom); or its `torch.inline` expressions are
 * evaluated with the inputs bound to names. Every output must agree to
 *   |ours − torch| ≤ 1e-4 · |torch| + 1e-5
 * and every draw must be used, in order, with its shape.
 *
 * The weight map must give exactly the case's list (the oracle's torch
 * names and layouts), so the export and the oracle agree on them. A tied
 * variable is handed to the module as model.py does it: the lender's
 * parameter through `module.tie(parameter, transposed)`, transposed where
 * the lender holds it in nn.Linear's layout and this kind does not.
 *
 * Kinds without a torch form are skipped and listed; cases whose kind needs
 * input gradients (a gradient penalty) are left to the export tests of whole
 * graphs. Skipped, saying so, when /usr/bin/python3 cannot import torch.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { variableKey } from '../../src/core/compiler/forward.ts';
import { pyKeywords } from '../../src/core/base/python.ts';
import { getNodeDefinition } from '../../src/core/nodes/registry.ts';
import type { TorchLayout } from '../../src/core/nodes/types.ts';
import type { Shape } from '../../src/core/base/shape.ts';
import {
  ABSOLUTE,
  BATCH,
  CASES,
  EXPORT_CASES,
  type Flat,
  type Layout,
  type OracleCase,
  prepareCase,
  PYTHON,
  RANDOM_SEED,
  recordingRandom,
  RELATIVE,
  torchAvailable,
} from '../oracle/cases.ts';

const DRIVER = fileURLToPath(new URL('./torch_kinds.py', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../../python', import.meta.url));

const hasTorch = torchAvailable('torch-kinds');

const ALL: OracleCase[] = [...CASES, ...EXPORT_CASES];
const definitionOf = (kind: string) => {
  const def = getNodeDefinition(kind);
  if (!def) throw new Error(`no kind ${kind}`);
  return def;
};
const withoutForm = [...new Set(ALL.filter((c) => !definitionOf(c.kind).torch).map((c) => c.kind))];
/** The input gradients a case's node asks for (a gradient penalty's), by name. */
const inputGradients = (c: OracleCase): string[] => {
  const def = definitionOf(c.kind);
  return (def.inputGradients?.(def.params.parse(c.params ?? {})) ?? []).map((g) => g.name);
};
const FORMED = ALL.filter((c) => definitionOf(c.kind).torch);
const LEFT = FORMED.filter((c) => inputGradients(c).length > 0);
const RUNS = FORMED.filter((c) => inputGradients(c).length === 0);

type Output = Flat & { dtype: string };

interface Ours {
  outputs: Record<string, Output>;
  /** What torch_kinds.py is sent. */
  request: Record<string, unknown>;
  /** Problems found on our side (the weight map against the case's list). */
  problems: string[];
}

/** The oracle writes 'vector' for what the export calls 'same'. */
const sameLayout = (layout: Layout | TorchLayout): TorchLayout => (layout === 'vector' ? 'same' : layout);

/** Whether the lent matrix is transposed on its way from the lender's parameter to this kind's. */
function transposedTie(lender: TorchLayout, own: TorchLayout): boolean {
  if (lender === own) return false;
  if ([lender, own].every((l) => l === 'same' || l === 'linear')) return true;
  throw new Error(`a tie from layout ${lender} to ${own}`);
}

function runOurs(c: OracleCase): Ours {
  const def = definitionOf(c.kind);
  const prepared = prepareCase(c);
  const { analysis, ops, outputKeys, sourced, inputValues, variables, floats, ints, runValues } = prepared;
  const info = analysis.nodes.get('n')!;
  const params = info.params as Record<string, unknown>;

  // n's outputs, and the inputs its sources computed (sent to PyTorch as inputs).
  const recorder = recordingRandom(RANDOM_SEED);
  const read = (y: tf.Tensor): Output => ({ shape: y.shape, dtype: y.dtype, values: Array.from(y.dataSync()) });
  const { outs, fed } = tf.tidy(() => {
    const values = runValues(floats, recorder);
    const pick = (keys: Record<string, string>) => Object.fromEntries(Object.entries(keys).map(([port, key]) => [port, values.get(key)!]));
    return { outs: pick(outputKeys), fed: pick(sourced) };
  });
  const outputs = Object.fromEntries(Object.entries(outs).map(([port, y]) => [port, read(y)]));
  const sourcedInputs = Object.fromEntries(Object.entries(fed).map(([port, y]) => [port, read(y)]));
  const given = new Set<tf.Tensor>([...floats, ...Object.values(ints)]);
  tf.dispose([...Object.values(outs), ...Object.values(fed)].filter((y) => !given.has(y)));
  tf.dispose([...floats, ...Object.values(ints)]);

  const form = def.torch!;
  const shapes: Record<string, Shape> = Object.fromEntries(Object.entries(info.inputs).map(([port, value]) => [port, value.shape]));
  const ctx = { params, inputs: shapes };
  const problems: string[] = [];

  // n's variables by their path below the node, with their keys (a tied one's is the lender's).
  const own = new Map<string, { key: string; tied: boolean }>();
  for (const op of ops.filter((o) => o.origin.node === 'n' && !o.origin.module)) {
    for (const spec of op.variables) own.set(`${op.varScope}/${spec.name}`.replace(/^n\//, ''), { key: variableKey(op, spec), tied: spec.tied !== undefined });
  }
  const map = form.weights?.(ctx) ?? {};
  const unmapped = [...own.keys()].filter((path) => !(path in map));
  const strange = Object.keys(map).filter((path) => !own.has(path));
  if (unmapped.length > 0 || strange.length > 0) problems.push(`torch.weights: not mapped [${unmapped.join(', ')}], not variables [${strange.join(', ')}]`);

  const caseLayout = new Map((c.weights ?? []).map(([torch, key, layout]) => [key, { torch, layout: sameLayout(layout) }]));
  const weights: Record<string, unknown> = {};
  const ties: Record<string, unknown> = {};
  const got: string[] = [];
  for (const [path, [torch, layout]] of Object.entries(map)) {
    const v = own.get(path);
    if (!v) continue;
    const values = variables.get(v.key)!;
    if (v.tied) {
      const lender = caseLayout.get(v.key);
      if (!lender) {
        problems.push(`the case lists no layout for the lent variable ${v.key}`);
        continue;
      }
      ties[torch] = { layout: lender.layout, transposed: transposedTie(lender.layout, layout), shape: values.shape, values: Array.from(values.values) };
    } else {
      got.push(JSON.stringify([torch, v.key, layout]));
      weights[torch] = { layout, shape: values.shape, values: Array.from(values.values) };
    }
  }
  const ownKeys = new Set([...own.values()].filter((v) => !v.tied).map((v) => v.key));
  const expected = (c.weights ?? []).filter(([, key]) => ownKeys.has(key)).map(([torch, key, layout]) => JSON.stringify([torch, key, sameLayout(layout)]));
  if (JSON.stringify([...got].sort()) !== JSON.stringify([...expected].sort())) {
    problems.push(`torch.weights gives ${[...got].sort().join(' ')}; the case lists ${[...expected].sort().join(' ')}`);
  }

  const module = form.module?.(ctx);
  const inputNames = Object.fromEntries(Object.keys(info.inputs).map((port) => [port, `in_${port}`]));
  const inline = module ? undefined : form.inline?.(params as never, inputNames, shapes);
  if (!module && !inline) problems.push('the torch form has neither module nor inline');
  if (inline && Object.keys(map).length > 0) problems.push('an inline form with weights');
  const request = {
    name: c.name,
    module: module ? { class: module.class, args: pyKeywords(module.args), context: module.context === true } : undefined,
    inline,
    inputs: {
      ...Object.fromEntries(
        Object.entries(c.inputs).map(([port, spec]) => [port, { dtype: spec.ids !== undefined ? 'int32' : 'float32', shape: spec.shape, values: Array.from(inputValues[port]!) }]),
      ),
      ...sourcedInputs,
    },
    weights,
    ties,
    random: recorder.draws,
    batch: BATCH,
    outputs: Object.keys(info.outputKeys),
  };
  return { outputs, problems, request };
}

interface Result {
  outputs?: Record<string, Output>;
  error?: string;
}

/** Problems with `actual` against `expected`, at most a few per tensor. */
function differences(what: string, actual: readonly number[], expected: readonly number[]): string[] {
  if (actual.length !== expected.length) return [`${what}: ${actual.length} values, torch ${expected.length}`];
  const bad: string[] = [];
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= RELATIVE * Math.abs(e) + ABSOLUTE)) bad.push(`${what}[${i}]: ours ${a}, torch ${e}`);
  });
  return bad.length > 4 ? [...bad.slice(0, 4), `${what}: … ${bad.length} differ in all`] : bad;
}

/** TF.js float32 runs against float64 in PyTorch, int32 ids against torch.long. */
const DTYPES: Record<string, string> = { float32: 'float64', int32: 'int64', bool: 'bool' };

function compare(ours: Ours, result: Result): string[] {
  if (result.error) return [...ours.problems, `torch_kinds.py failed:\n${result.error}`];
  const problems = [...ours.problems];
  for (const [port, out] of Object.entries(ours.outputs)) {
    const r = result.outputs?.[port];
    if (!r) problems.push(`output ${port}: missing on the torch side`);
    else if (JSON.stringify(r.shape) !== JSON.stringify(out.shape)) problems.push(`output ${port}: shape [${out.shape}], torch [${r.shape}]`);
    else if (r.dtype !== DTYPES[out.dtype]) problems.push(`output ${port}: ${out.dtype} here, torch ${r.dtype} (want ${DTYPES[out.dtype]})`);
    else problems.push(...differences(`output ${port}`, out.values, r.values));
  }
  return problems;
}

const TITLE = hasTorch ? "PyTorch export: each kind's module against TF.js" : `PyTorch export kinds (skipped: ${PYTHON} cannot import torch; install python3-torch)`;

describe.skipIf(!hasTorch)(TITLE, () => {
  const ours = new Map<string, Ours>();
  const results = new Map<string, Result>();

  beforeAll(() => {
    if (withoutForm.length > 0) console.log(`torch-kinds: no torch form yet, not checked: ${withoutForm.join(', ')}`);
    if (LEFT.length > 0) console.log(`torch-kinds: needing input gradients, left to the whole-graph export tests: ${LEFT.map((c) => `${c.name} (${inputGradients(c).join(', ')})`).join('; ')}`);
    for (const c of RUNS) ours.set(c.name, runOurs(c));
    const python = spawnSync(PYTHON, [DRIVER], {
      input: JSON.stringify(RUNS.map((c) => ours.get(c.name)!.request)),
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, PYTHONPATH: PACKAGE },
    });
    if (python.status !== 0) throw new Error(`torch_kinds.py failed (${python.status}):\n${python.stderr}`);
    const out = JSON.parse(python.stdout) as Result[];
    RUNS.forEach((c, i) => results.set(c.name, out[i]!));
  }, 120_000);

  it('names each case once', () => {
    expect(new Set(ALL.map((c) => c.name)).size).toBe(ALL.length);
  });

  it.each(RUNS.map((c) => [c.name, c.kind] as const))('%s', (name) => {
    expect(compare(ours.get(name)!, results.get(name)!)).toEqual([]);
  });
});
