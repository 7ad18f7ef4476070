/**
 * A sampler kind is one node file and one registry line: a kind the code
 * has never seen (tests/fixtures/nodes/echo-sampler.ts), added to the
 * registry's list, is planned by the compiler, run by the sampling runtime
 * and previewed by the worker with no other change.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { runOps } from '../../src/core/compiler/forward.ts';
import { compile } from '../../src/core/compiler/program.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { runSampler } from '../../src/core/train/sampling.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { previewPlan } from '../../src/worker/preview-plan.ts';
import { makeDocument } from '../helpers.ts';

vi.mock('../../src/core/nodes/registry.ts', async (importOriginal) => {
  const registry = await importOriginal<typeof import('../../src/core/nodes/registry.ts')>();
  const { echoSamplerNode } = await import('../fixtures/nodes/echo-sampler.ts');
  // The one registry line.
  const NODE_DEFINITIONS = [...registry.NODE_DEFINITIONS, echoSamplerNode];
  const byKind = new Map(NODE_DEFINITIONS.map((def) => [def.kind, def]));
  return { ...registry, NODE_DEFINITIONS, getNodeDefinition: (kind: string) => byKind.get(kind), nodeKinds: () => NODE_DEFINITIONS.map((def) => def.kind) };
});

const doc = makeDocument(
  [
    { id: 'x', kind: 'Input', params: { shape: [2] } },
    { id: 'fc', kind: 'Dense', params: { units: 2 } },
    { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
    { id: 'echo', kind: 'EchoSampler', params: { count: 3 } },
  ],
  ['x.x->fc.x', 'fc.y->loss.prediction', 'x.x->loss.target', 'fc.y->echo.output'],
);

const ones = (count: number) => ({ x: tf.ones([count, 2]) });

describe('a new sampler kind', () => {
  it('is planned, run and previewed from its definition alone', async () => {
    const compiled = compile(doc);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
    const program = compiled.program;
    expect(program.samplers.map((p) => [p.kind, p.op.origin.node])).toEqual([['echo', 'echo']]);
    expect(previewPlan(program)).toEqual([{ kind: 'scatter', sampler: 'echo' }]);

    const session = new TrainingSession(program, (_op, _step, n) => ones(n), 4);
    const result = await runSampler(session, program.samplers[0]!, { feedsFor: (_op, n) => ones(n) });
    if (result.kind !== 'tensor') throw new Error('expected a tensor');
    expect(result).toMatchObject({ sampler: 'echo', family: 'echo' });
    expect(result.tensor.shape).toEqual([3, 2]);
    // The same numbers as the training graph's own forward run.
    const fc = program.analysis.ops.filter((op) => op.origin.node === 'x' || op.origin.node === 'fc');
    const feeds = { x: ones(3) };
    const values = runOps(fc, program.analysis, { variables: session.variables, feeds, batchSize: 3, training: false, random: createRandom(0) });
    const expected = values.get(program.analysis.nodes.get('fc')!.outputKeys.y!)!;
    expect(Array.from(await result.tensor.data())).toEqual(Array.from(await expected.data()));
    tf.dispose([result.tensor, feeds.x.x, ...values.values()]);
    session.dispose();
  });
});
