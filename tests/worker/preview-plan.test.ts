import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { DDPM_PREVIEW_STEPS, hasAdversarialBalance, previewPlan, sampleLayout } from '../../src/worker/preview-plan.ts';

/** A preset, with its family label as shipped or replaced: the previews must not change with it. */
function presetAs(name: string, family?: GraphDocument['meta']['family']): Program {
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error(`${name} does not load`);
  const doc = family ? { ...loaded.document, meta: { ...loaded.document.meta, family } } : loaded.document;
  const compiled = compile(doc);
  if (!compiled.ok) throw new Error(`${name} does not compile`);
  return compiled.program;
}

const LABELS: { family: GraphDocument['meta']['family'] | undefined; shown: string }[] = [
  { family: undefined, shown: 'as shipped' },
  { family: 'custom', shown: 'custom' },
];

describe.each(LABELS)('previews of each preset (family $shown)', ({ family }) => {
  const preset = (name: string) => presetAs(name, family);

  it('lays samples out as images, 2D points or neither', () => {
    expect(sampleLayout([1, 784])).toEqual({ kind: 'image', height: 28, width: 28, channels: 1 });
    expect(sampleLayout([1, 28, 28, 1])).toEqual({ kind: 'image', height: 28, width: 28, channels: 1 });
    expect(sampleLayout([1, 8, 8, 3])).toEqual({ kind: 'image', height: 8, width: 8, channels: 3 });
    expect(sampleLayout([1, 2])).toEqual({ kind: 'points' });
    expect(sampleLayout([1, 10])).toEqual({ kind: 'other' });
    expect(sampleLayout([1, 16])).toEqual({ kind: 'other' });
  });

  it('VAE: a sample grid and a latent interpolation', () => {
    expect(previewPlan(preset('vae')).map((s) => `${s.kind}:${s.sampler}`)).toEqual(['grid:sampler', 'interpolation:sampler']);
  });

  it('GAN: a sample grid and the D/G balance; the 2D GAN a scatter', () => {
    const gan = preset('gan');
    expect(previewPlan(gan).map((s) => s.kind)).toEqual(['grid']);
    expect(hasAdversarialBalance(gan)).toBe(true);
    expect(previewPlan(preset('gan-2d')).map((s) => s.kind)).toEqual(['scatter']);
    expect(hasAdversarialBalance(preset('vae'))).toBe(false);
  });

  it('Flow: the scatter of data against samples', () => {
    expect(previewPlan(preset('flow'))).toEqual([{ kind: 'scatter', sampler: 'sampler' }]);
  });

  it('Diffusion: DDPM beside DDIM, each with its trajectory; a long DDPM chain is shortened for the preview', () => {
    const specs = previewPlan(preset('diffusion'));
    expect(specs.map((s) => `${s.kind}:${s.sampler}`)).toEqual(['grid:ddpm', 'grid:ddim']);
    const [ddpm, ddim] = specs as Extract<(typeof specs)[number], { kind: 'grid' }>[];
    expect(ddpm!.trajectory).toMatchObject({ chain: 'ddpm', shortened: DDPM_PREVIEW_STEPS });
    expect(ddpm!.trajectory!.steps).toBeGreaterThan(200);
    expect(ddim!.trajectory).toEqual({ chain: 'ddim', steps: 50 });
    expect(previewPlan(preset('diffusion-2d')).map((s) => s.kind)).toEqual(['scatter', 'scatter']);
  });

  it('Transformer: text samples', () => {
    expect(previewPlan(preset('transformer'))).toEqual([{ kind: 'text', sampler: 'sampler' }]);
    expect(previewPlan(preset('mnist-classifier'))).toEqual([]);
  });
});
