/** Weight tying: a Dense whose kernel is an Embedding's table transposed, one variable for both uses. */
import '../../src/core/train/gradients.ts';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { createVariables, runOps } from '../../src/core/compiler/forward.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { readFileSync } from 'node:fs';
import { loadText } from '../../src/core/graph/load.ts';
import { codes, makeDocument, type NodeSketch } from '../helpers.ts';

/** tokens [B, 3] → Embedding 5 × 3 → Dense 5 (the table, transposed) → next-token cross-entropy. */
function tiedModel(head: Record<string, unknown> = { units: 5, tiedTo: 'embed' }, embed: Record<string, unknown> = { vocabSize: 5, dim: 3 }, extra: NodeSketch[] = [], extraEdges: string[] = []) {
  return makeDocument(
    [
      { id: 'x', kind: 'Input', params: { shape: [3], dtype: 'int' } },
      { id: 'y', kind: 'Input', params: { shape: [3], dtype: 'int' } },
      { id: 'embed', kind: 'Embedding', params: embed },
      { id: 'head', kind: 'Dense', params: head },
      { id: 'loss', kind: 'NextTokenCrossEntropy', params: { ignoreIndex: -1 } },
      ...extra,
    ],
    ['x.x->embed.tokens', 'embed.y->head.x', 'head.y->loss.logits', 'y.x->loss.targets', ...extraEdges],
  );
}

const TABLE = [0.5, -1, 0.25, 2, 0.1, -0.3, -0.7, 0.4, 1.5, 0, 0.9, -1.2, 0.3, 0.3, -0.6];
const BIAS = [0.1, -0.2, 0, 0.3, 0.05];

describe('weight tying', () => {
  it('makes one variable: the table, counted once in the program, the node and the parameter count', () => {
    const doc = tiedModel();
    const compiled = compile(doc);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
    const keys = compiled.program.variables.map((v) => v.key).sort();
    expect(keys).toEqual(['embed/table', 'head/bias']);
    expect(compiled.program.objectives[0]!.variables.sort()).toEqual(['embed/table', 'head/bias']);
    expect(compiled.program.analysis.parameterCount).toBe(15 + 5);
    expect(compiled.program.analysis.nodes.get('head')!.paramCount).toBe(5);
    expect(compiled.program.analysis.nodes.get('embed')!.paramCount).toBe(15);
    const untied = analyze(tiedModel({ units: 5 }));
    expect(untied.parameterCount).toBe(15 + 15 + 5);
  });

  it('computes x · tableᵀ + b, and the gradient of the table adds both uses', async () => {
    const compiled = compile(tiedModel());
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
    const { program } = compiled;
    const variables = createVariables(program.analysis, 3);
    expect(variables.size).toBe(2);
    variables.get('embed/table')!.assign(tf.tensor2d(TABLE, [5, 3]));
    variables.get('head/bias')!.assign(tf.tensor1d(BIAS));
    const tokens = tf.tensor2d([0, 3, 4, 2, 2, 1], [2, 3], 'int32');
    const targets = tf.tensor2d([3, 4, 1, 2, 0, 0], [2, 3], 'int32');
    const objective = program.objectives[0]!;
    const run = () =>
      runOps(objective.ops, program.analysis, { variables, feeds: { x: { x: tokens }, y: { x: targets } }, batchSize: 2, training: false, random: createRandom(1) });

    // Forward by hand: logits[b, t, v] = Σ_d table[tok, d] · table[v, d] + bias[v].
    const values = run();
    const logits = await values.get(program.analysis.nodes.get('head')!.outputKeys.y!)!.data();
    const ids = [0, 3, 4, 2, 2, 1];
    ids.forEach((tok, p) => {
      for (let v = 0; v < 5; v++) {
        let dot = BIAS[v]!;
        for (let d = 0; d < 3; d++) dot += TABLE[tok * 3 + d]! * TABLE[v * 3 + d]!;
        expect(logits[p * 5 + v]).toBeCloseTo(dot, 5);
      }
    });

    // The gradient through the compiled graph equals that of the same function written with one table used twice.
    const table = variables.get('embed/table')!;
    const { grads } = tf.variableGrads(() => {
      const out = run();
      return out.get(program.objectives[0]!.losses[0]!.outputs.loss!)! as tf.Scalar;
    }, [table]);
    const reference = tf.grad((t: tf.Tensor) => {
      const h = tf.gather(t, tokens);
      const z = tf.add(tf.matMul(tf.reshape(h, [6, 3]), t, false, true), tf.tensor1d(BIAS));
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(targets, [6]), 5), z, undefined, undefined, tf.Reduction.MEAN);
    })(tf.tensor2d(TABLE, [5, 3]));
    const got = await grads[table.name]!.data();
    const want = await reference.data();
    expect(Array.from(got).map((g) => +g.toFixed(5))).toEqual(Array.from(want).map((g) => +g.toFixed(5)));
    // Both uses contribute: the embedding's share alone (rows of the tokens seen) differs from the sum.
    const embeddingOnly = tf.grad((t: tf.Tensor) => {
      const h = tf.gather(t, tokens);
      const z = tf.add(tf.matMul(tf.reshape(h, [6, 3]), tf.tensor2d(TABLE, [5, 3]), false, true), tf.tensor1d(BIAS));
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(targets, [6]), 5), z, undefined, undefined, tf.Reduction.MEAN);
    })(tf.tensor2d(TABLE, [5, 3]));
    expect(Math.max(...Array.from(await tf.sub(embeddingOnly, reference).abs().data()))).toBeGreaterThan(1e-3);
    for (const v of variables.values()) v.dispose();
  });

  it('a dangling, mismatched, self, circular or lender-less reference is GC119 at the node, naming the param', () => {
    const dangling = analyze(tiedModel({ units: 5, tiedTo: 'nope' }));
    expect(codes(dangling)).toContain('GC119@head');
    expect(dangling.diagnostics.find((d) => d.code === 'GC119')!.message).toBe(
      'Parameter "tiedTo" ties this node\'s weights to "nope", but no node has that id here (a reference names a node of the same graph, or of the same module body).',
    );

    const mismatched = analyze(tiedModel({ units: 6, tiedTo: 'embed' }));
    expect(codes(mismatched)).toEqual(['GC119@head']);
    expect(mismatched.diagnostics[0]!.message).toBe('Parameter "tiedTo" ties this node\'s weights to "embed", but its table is [5, 3] where this node needs [6, 3].');

    expect(codes(analyze(tiedModel({ units: 5, tiedTo: 'head' })))).toEqual(['GC119@head']);
    expect(analyze(tiedModel({ units: 5, tiedTo: 'head' })).diagnostics[0]!.message).toContain('a node cannot share its own weights');

    const noWeights = analyze(tiedModel({ units: 5, tiedTo: 'loss' }));
    expect(codes(noWeights)).toEqual(['GC119@head']);
    expect(noWeights.diagnostics[0]!.message).toContain('it is a NextTokenCrossEntropy, which has no weights to share');

    // Two embeddings tied to each other: the ties never reach a variable.
    const circle = analyze(
      tiedModel({ units: 5, tiedTo: 'embed' }, { vocabSize: 5, dim: 3, tiedTo: 'other' }, [{ id: 'other', kind: 'Embedding', params: { vocabSize: 5, dim: 3, tiedTo: 'embed' } }], ['x.x->other.tokens']),
    );
    expect(codes(circle)).toContain('GC119@embed');
    expect(circle.diagnostics.find((d) => d.node === 'embed')!.message).toContain('the ties go round in a circle (embed → other → embed)');
  });

  it('follows a chain of ties to the variable at its end', () => {
    // The head is tied to an embedding that is itself tied to another: all three read one table.
    const doc = tiedModel({ units: 5, tiedTo: 'embed' }, { vocabSize: 5, dim: 3, tiedTo: 'source' }, [{ id: 'source', kind: 'Embedding', params: { vocabSize: 5, dim: 3 } }], ['x.x->source.tokens']);
    const analysis = analyze(doc);
    expect(codes(analysis)).toEqual([]);
    expect(analysis.parameterCount).toBe(15 + 5);
    const head = analysis.ops.find((op) => op.id === 'head')!;
    expect(head.tiedKeys).toEqual({ kernel: 'source/table' });
  });

  it('the gpt-tied preset is the transformer preset with one table for its input and output embeddings', () => {
    const load = (name: string) => {
      const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
      if (!loaded.ok) throw new Error(name);
      const compiled = compile(loaded.document);
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
      return compiled.program;
    };
    const tied = load('gpt-tied');
    const untied = load('transformer');
    expect(untied.analysis.parameterCount - tied.analysis.parameterCount).toBe(28 * 64);
    const keys = tied.variables.map((v) => v.key);
    expect(keys).toContain('embed/table');
    expect(keys).not.toContain('head/kernel');
    expect(untied.variables.map((v) => v.key)).toContain('head/kernel');
    expect(tied.analysis.ops.find((op) => op.id === 'head')!.tiedKeys).toEqual({ kernel: 'embed/table' });
  });
});
