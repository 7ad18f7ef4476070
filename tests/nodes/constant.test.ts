import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createVariables, runForward } from '../../src/core/compiler/forward.ts';
import { compile } from '../../src/core/compiler/program.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { constantNode } from '../../src/core/nodes/constant.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { expectClose, inferNode, makeDocument, runNode } from '../helpers.ts';

/** Runs the node's forward alone, to see the dtype as well as the values. */
function forward(raw: Record<string, unknown>, outputShape: number[], like?: tf.Tensor) {
  const params = constantNode.params.parse(raw);
  const y = constantNode.forward!({
    params,
    inputs: like ? { like } : {},
    vars: {},
    outputShapes: { y: outputShape },
    batchSize: outputShape[0]!,
    training: true,
    random: createRandom(1),
    feeds: {},
  }).y!;
  const out = { dtype: y.dtype, shape: y.shape, values: Array.from(y.dataSync()) };
  y.dispose();
  return out;
}

describe('Constant', () => {
  it('is shaped [B, ...shape], or like its input with the batch included', () => {
    expect(inferNode('Constant', {}, {}).outputs.y?.shape).toEqual(['B', 1]);
    expect(inferNode('Constant', { shape: [4, 4, 2] }, {}).outputs.y?.shape).toEqual(['B', 4, 4, 2]);
    expect(inferNode('Constant', { shape: [] }, {}).outputs.y?.shape).toEqual(['B']);
    // `like` wins over `shape`.
    expect(inferNode('Constant', { shape: [3] }, { like: { shape: [2, 5] } }).outputs.y?.shape).toEqual(['B', 2, 5]);
    expect(inferNode('Constant', { type: 'tokens' }, { like: { shape: [7], dtype: 'int' } }).outputs.y?.shape).toEqual(['B', 7]);
    expect(inferNode('Constant', {}, {}).analysis.nodes.get('n')!.paramCount).toBe(0);
  });

  it('takes `like` of its own type, and refuses lists that do not fill an example and ids that are not ids', () => {
    expect(inferNode('Constant', { type: 'tokens' }, { like: { shape: [3] } }).codes).toEqual(['GC110@n.like']);
    const short = inferNode('Constant', { fill: 'values', values: [1, 2, 3], shape: [2, 2] }, {});
    expect(short.codes).toEqual(['GC107@n']);
    expect(short.analysis.diagnostics[0]!.message).toContain('3 values do not fill one example of [B, 2, 2], which holds 4');
    expect(inferNode('Constant', { fill: 'values', values: [1, 2] }, { like: { shape: [3] } }).codes).toEqual(['GC107@n']);
    expect(inferNode('Constant', { type: 'tokens', fill: 'value', value: 2.5, shape: [] }, {}).codes).toEqual(['GC107@n']);
    expect(inferNode('Constant', { type: 'tokens', fill: 'values', values: [3, -1], shape: [2] }, {}).codes).toEqual(['GC107@n']);
    expect(inferNode('Constant', { fill: 'sevens' }, {}).codes).toEqual(['GC107@n']);
    expect(inferNode('Constant', { shape: [1, 1, 1, 1] }, {}).codes).toEqual(['GC107@n']);
    // A float constant may hold any value.
    expect(inferNode('Constant', { fill: 'value', value: -2.5 }, {}).codes).toEqual([]);
  });

  it('fills zeros, ones, a value or a list for every example, by hand', async () => {
    expect((await runNode('Constant', { shape: [3] }, {})).outputs.y).toEqual({ shape: [2, 3], values: [0, 0, 0, 0, 0, 0] });
    expect((await runNode('Constant', { fill: 'ones', shape: [] }, {})).outputs.y).toEqual({ shape: [2], values: [1, 1] });
    const value = await runNode('Constant', { fill: 'value', value: -0.75, shape: [2] }, {});
    expectClose(value.outputs.y!.values, [-0.75, -0.75, -0.75, -0.75]);
    // A list fills each example in row-major order, the same for every example.
    const list = await runNode('Constant', { fill: 'values', values: [1, 2, 3, 4, 5, 6], shape: [2, 3] }, {});
    expect(list.outputs.y).toEqual({ shape: [2, 2, 3], values: [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6] });
  });

  it('takes the batch and shape of `like` at run time', async () => {
    const run = await runNode('Constant', { fill: 'values', values: [0.5, -1] }, { like: { shape: [3, 2], values: [9, 9, 9, 9, 9, 9] } });
    expect(run.outputs.y).toEqual({ shape: [3, 2], values: [0.5, -1, 0.5, -1, 0.5, -1] });
    const like = tf.zeros([4, 1, 2]);
    expect(forward({ fill: 'ones' }, [2, 1], like)).toEqual({ dtype: 'float32', shape: [4, 1, 2], values: new Array(8).fill(1) });
    like.dispose();
  });

  it('makes int32 ids as tokens: one label for every example, or a list of ids', () => {
    expect(forward({ type: 'tokens', fill: 'value', value: 7, shape: [] }, [3])).toEqual({ dtype: 'int32', shape: [3], values: [7, 7, 7] });
    expect(forward({ type: 'tokens', fill: 'values', values: [1, 4, 2], shape: [3] }, [2, 3])).toEqual({ dtype: 'int32', shape: [2, 3], values: [1, 4, 2, 1, 4, 2] });
    expect(forward({ type: 'tokens', shape: [] }, [2])).toEqual({ dtype: 'int32', shape: [2], values: [0, 0] });
    expect(forward({ fill: 'value', value: 7 }, [1, 1]).dtype).toBe('float32');
  });

  it('feeds a fixed class to an embedding, whose table must hold it', async () => {
    const doc = (label: number) =>
      makeDocument(
        [
          { id: 'label', kind: 'Constant', params: { type: 'tokens', fill: 'value', value: label, shape: [] } },
          { id: 'n', kind: 'Embedding', params: { vocabSize: 10, dim: 2 } },
        ],
        ['label.y->n.tokens'],
      );
    expect(compile(doc(9)).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const tooLarge = compile(doc(12)).diagnostics.filter((d) => d.code === 'GC116');
    expect(tooLarge.map((d) => `${d.node}.${d.port}: ${d.message}`)).toEqual([
      'n.tokens: Token ids reaching "tokens" run up to 12 (label.y), but its vocabSize is 10: every id must be below that.',
    ]);
    // Label 3 for each of 3 examples: every example reads row 3 of the table, [0.6, 0.7].
    const analysis = analyze(doc(3));
    const variables = createVariables(analysis, 1);
    const table = variables.get('n/table')!;
    table.assign(tf.tensor(Array.from({ length: 20 }, (_, i) => i / 10), table.shape));
    const values = runForward(analysis, { variables, feeds: {}, batchSize: 3, training: true, random: createRandom(1) });
    const y = values.get(analysis.nodes.get('n')!.outputKeys.y!)!;
    expect(y.shape).toEqual([3, 2]);
    expectClose(Array.from(await y.data()), [0.6, 0.7, 0.6, 0.7, 0.6, 0.7]);
    tf.dispose([...values.values(), ...variables.values()]);
  });
});
