import { readdirSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createVariables, runForward } from '../src/core/compiler/forward.ts';
import { loadText } from '../src/core/graph/load.ts';
import { saveDocument } from '../src/core/graph/save.ts';
import type { GraphDocument } from '../src/core/graph/schema.ts';
import { analyze } from '../src/core/shapes/analyze.ts';
import { concrete } from '../src/core/base/shape.ts';
import { createRandom } from '../src/core/base/random.ts';
import { outputShape } from './helpers.ts';

const PRESETS = ['vae', 'gan', 'transformer', 'flow', 'diffusion'];
/** Every preset shipped: the five families and the quick and helper graphs. */
const ALL = readdirSync('graph-presets')
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

function load(name: string): { text: string; doc: GraphDocument } {
  const text = readFileSync(`graph-presets/${name}.json`, 'utf8');
  const result = loadText(text);
  if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result.diagnostics)}`);
  return { text, doc: result.document };
}

describe('presets', () => {
  it('are the five families, and nothing else hides in the folder', () => {
    const files = readdirSync('graph-presets').filter((f) => f.endsWith('.json'));
    for (const name of PRESETS) expect(files).toContain(`${name}.json`);
  });

  for (const name of ALL) {
    describe(name, () => {
      it('loads with no diagnostics at all, in canonical form', () => {
        const { text, doc } = load(name);
        expect(analyze(doc).diagnostics).toEqual([]);
        expect(saveDocument(doc)).toBe(text);
        if (PRESETS.includes(name)) expect(doc.meta.family).toBe(name);
        expect(doc.meta.description.length).toBeGreaterThan(200);
      });

      it('runs its training graph forward to finite losses', async () => {
        const { doc } = load(name);
        const analysis = analyze(doc);
        const batch = 2;
        const random = createRandom(3);
        const feeds: Record<string, Record<string, tf.Tensor>> = {};
        for (const op of analysis.ops) {
          if (op.kind !== 'Data') continue;
          feeds[op.id] = {};
          for (const [port, key] of Object.entries(op.outputs)) {
            const value = analysis.values.get(key)!;
            const shape = concrete(value.shape, batch);
            // Stand-in batches of the right shape and type; real data arrives with the data loaders.
            feeds[op.id]![port] = value.type === 'tokens' ? random.integers(shape, 10) : random.uniform(shape);
          }
        }
        const variables = createVariables(analysis, doc.training.seed);
        const values = runForward(analysis, { variables, feeds, batchSize: batch, training: true, random });
        const losses = analysis.ops.filter((op) => op.def.category === 'objective');
        expect(losses.length).toBeGreaterThan(0);
        for (const op of losses) {
          const loss = values.get(op.outputs.loss!)!;
          expect(loss.shape).toEqual([]);
          expect(Number.isFinite((await loss.data())[0]), `${op.id}`).toBe(true);
        }
        for (const t of values.values()) t.dispose();
        for (const v of variables.values()) v.dispose();
      });
    });
  }

  it('have the shapes of their families', () => {
    expect(outputShape(analyze(load('vae').doc), 'decoder', 'x')).toEqual(['B', 784]);
    expect(outputShape(analyze(load('gan').doc), 'generator', 'x')).toEqual(['B', 28, 28, 1]);
    expect(outputShape(analyze(load('gan').doc), 'd_fake', 'logit')).toEqual(['B', 1]);
    expect(outputShape(analyze(load('transformer').doc), 'head', 'y')).toEqual(['B', 16, 28]);
    expect(outputShape(analyze(load('flow').doc), 'coupling6', 'y')).toEqual(['B', 2]);
    expect(outputShape(analyze(load('diffusion').doc), 'head', 'y')).toEqual(['B', 28, 28, 1]);
    expect(outputShape(analyze(load('diffusion').doc), 'ddim', 'samples')).toEqual(['B', 28, 28, 1]);
  });

  it('the GAN discriminator is one set of weights seen twice', () => {
    const analysis = analyze(load('gan').doc);
    const real = analysis.ops.filter((op) => op.id.startsWith('d_real/')).map((op) => op.varScope);
    const fake = analysis.ops.filter((op) => op.id.startsWith('d_fake/')).map((op) => op.varScope);
    expect(real.length).toBeGreaterThan(3);
    expect(real).toEqual(fake);
    expect(analysis.nodes.get('d_real')!.paramCount).toBe(analysis.nodes.get('d_fake')!.paramCount);
  });
});
