/** The eval block of a run follows from what the graph is: relabelling a preset changes nothing, a hand-built VAE is scored as one. */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateRun } from '../../src/cli/evaluate-run.ts';
import { openData } from '../../src/cli/setup.ts';
import { compile } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { initNodeBackend } from '../../src/core/train/backends/node.ts';
import { streamBatches } from '../../src/core/train/program-data.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { handVae } from '../train/hand-vae.ts';

const NO_JUDGE = 'no/such/judge';

function presetDocument(name: string): GraphDocument {
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error(`${name} does not load`);
  return loaded.document;
}

/** The eval block of an untrained session: the same weights for the same document, so equal documents give equal numbers. */
async function evaluate(doc: GraphDocument, file: string): Promise<Record<string, unknown>> {
  const compiled = compile(doc);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  const sources = await openData(file, compiled.program);
  const session = new TrainingSession(compiled.program, streamBatches(sources));
  try {
    return await evaluateRun(session, sources, { judgeDir: NO_JUDGE, samples: 8 });
  } finally {
    session.dispose();
  }
}

describe('held-out metrics by role', () => {
  beforeAll(async () => {
    await initNodeBackend('wasm');
  });

  const cases: { name: string; keys: string[]; judged: boolean }[] = [
    { name: 'vae', keys: ['negElbo', 'negIwae'], judged: true },
    { name: 'flow', keys: ['valNll', 'inverseError'], judged: false },
    { name: 'transformer', keys: ['valNatsPerChar'], judged: false },
  ];
  for (const { name, keys, judged } of cases) {
    it(`${name}: the same eval block with its family set to custom`, async () => {
      const doc = presetDocument(name);
      const file = `graph-presets/${name}.json`;
      const shipped = await evaluate(doc, file);
      const custom = await evaluate({ ...doc, meta: { ...doc.meta, family: 'custom' } }, file);
      expect(custom).toEqual(shipped);
      const named = ['negElbo', 'negIwae', 'valNatsPerChar', 'valNll', 'inverseError'].filter((key) => key in shipped);
      expect(named).toEqual(keys);
      const heldOut = shipped.heldOut as Record<string, { total: number }>;
      expect(Object.values(heldOut).map((h) => h.total)).toContain(shipped[keys[0]!]);
      // The judge is asked for (and missing here) only where samples are MNIST digits.
      expect('judge' in shipped).toBe(judged);
    });
  }

  it('a VAE built from Dense layers, family custom, reports its negative ELBO and asks for the judge', async () => {
    const out = await evaluate(handVae(), 'hand-vae.json');
    expect(out.negElbo).toBe((out.heldOut as Record<string, { total: number }>).main!.total);
    // The importance-weighted bound of the same model: tighter than the ELBO.
    expect(out.iwaeSamples).toBe(100);
    expect(out.negIwae as number).toBeLessThan(out.negElbo as number);
    expect(out.judge).toContain(NO_JUDGE);
    expect('valNll' in out || 'valNatsPerChar' in out || 'inverseError' in out).toBe(false);
  });

  it('a β-VAE: its negative ELBO is the same loss nodes at weight 1, its weighted objective beside it', async () => {
    const beta = 4;
    const out = await evaluate(handVae({ kl: { weight: beta, warmupSteps: 100 } }), 'hand-vae.json');
    const weighted = (out.heldOut as Record<string, { total: number; losses: Record<string, number> }>).main!;
    const unweighted = (out.heldOutUnweighted as Record<string, { total: number; losses: Record<string, number> }>).main!;
    expect(out.negElbo).toBe(unweighted.total);
    expect(unweighted.losses.rec).toBeCloseTo(weighted.losses.rec!, 4);
    // An untrained session has taken no update: the warm-up holds the weighted KL at 0, while the ELBO counts all of it.
    expect(weighted.losses.kl).toBe(0);
    expect(unweighted.losses.kl).toBeGreaterThan(0);
    expect(unweighted.total).toBeCloseTo(unweighted.losses.rec! + unweighted.losses.kl!, 3);
    // The same document unweighted gives the same ELBO.
    const plain = await evaluate(handVae(), 'hand-vae.json');
    expect(out.negElbo).toBeCloseTo(plain.negElbo as number, 3);
  });
});
