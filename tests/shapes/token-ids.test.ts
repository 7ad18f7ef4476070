/** Token ids against the tables they index: what training would trip over, validate reports. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';

function preset(name: string): GraphDocument {
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error(`${name} does not load`);
  return loaded.document;
}

function withParams(doc: GraphDocument, node: string, params: GraphDocument['nodes'][number]['params']): GraphDocument {
  const copy = structuredClone(doc);
  const target = copy.nodes.find((n) => n.id === node)!;
  target.params = { ...target.params, ...params };
  return copy;
}

const problems = (doc: GraphDocument) => compile(doc).diagnostics.map((d) => `${d.node}${d.port ? `.${d.port}` : ''} ${d.code} ${d.message}`);

describe('token ids', () => {
  it('no preset has a token id its tables cannot hold', () => {
    for (const name of ['transformer', 'seq2seq', 'mnist-classifier', 'vae', 'gan']) {
      expect(problems(preset(name)).filter((p) => p.includes('GC116') || p.includes('GC205')), name).toEqual([]);
    }
  });

  it('an Embedding smaller than the dataset vocabulary', () => {
    expect(problems(withParams(preset('transformer'), 'embed', { vocabSize: 14 }))).toContain(
      'embed.tokens GC116 Token ids reaching "tokens" run up to 27 (data.x), but its vocabSize is 14: every id must be below that.',
    );
    // One more row than needed is fine; so is exactly the vocabulary.
    expect(problems(withParams(preset('transformer'), 'embed', { vocabSize: 28 })).filter((p) => p.includes('GC116'))).toEqual([]);
  });

  it('a head with fewer scores than the targets need', () => {
    expect(problems(withParams(preset('transformer'), 'head', { units: 20 }))).toContain(
      'loss.targets GC116 Token ids reaching "targets" run up to 27 (data.y), but its logits hold 20 scores per position: every id must be below that.',
    );
  });

  it('a classifier with fewer scores than MNIST has digits', () => {
    const doc = preset('mnist-classifier');
    const head = doc.nodes.filter((n) => n.kind === 'Dense').at(-1)!;
    expect(problems(withParams(doc, head.id, { units: 5 })).some((p) => /GC116 Token ids reaching "labels" run up to 9 \(data\.y\), but its logits hold 5 class scores/.test(p))).toBe(true);
  });

  it('an autoregressive sampler that would draw ids its Embedding cannot look up', () => {
    // Training is fine (targets stay below 28 of 56 scores); sampling would feed id 55 back into 28 rows.
    const found = problems(withParams(preset('transformer'), 'head', { units: 56 }));
    expect(found.filter((p) => p.includes('GC116'))).toEqual([]);
    expect(found).toContain('sampler GC205 Sampler "sampler" cannot sample: it draws token ids up to 55 from the 56 scores of its logits and feeds them to "embed", but its vocabSize is 28.');
  });
});
