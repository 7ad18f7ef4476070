import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import type { ConditionChoice } from '../../src/core/nodes/sampler-condition.ts';
import { applicableConditions, conditionKey, conditionOptions, DDPM_PREVIEW_STEPS, hasAdversarialBalance, MAX_CLASS_OPTIONS, previewPlan, sampleLayout } from '../../src/worker/preview-plan.ts';

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

describe('class-conditioned grids', () => {
  it('a conditional GAN: its grid names the classes of its labels and draws each class by default', () => {
    const specs = previewPlan(presetAs('cgan'));
    expect(specs).toHaveLength(1);
    expect(specs[0]).toMatchObject({ kind: 'grid', sampler: 'sampler', condition: { classes: 10, choice: { kind: 'each-class' } } });
    const grid = specs[0] as Extract<(typeof specs)[number], { kind: 'grid' }>;
    expect(grid.condition!.nullLabel).toBeUndefined();
    // Samplers without a condition input get no picker.
    expect(previewPlan(presetAs('gan'))[0]).not.toHaveProperty('condition');
  });

  it('guided diffusion: the null label of its condition dropout is known too', () => {
    const [ddim] = previewPlan(presetAs('diffusion-guided'));
    expect(ddim).toMatchObject({ kind: 'grid', sampler: 'ddim', trajectory: { chain: 'ddim' }, condition: { classes: 10, nullLabel: 10, choice: { kind: 'each-class' } } });
  });

  it("a sampler's own labels are the default", () => {
    const loaded = loadText(readFileSync('graph-presets/cgan.json', 'utf8'));
    if (!loaded.ok) throw new Error('cgan does not load');
    const nodes = loaded.document.nodes.map((n) => (n.id === 'sampler' ? { ...n, params: { ...n.params, condition: 'values', conditionValues: [7] } } : n));
    const compiled = compile({ ...loaded.document, nodes });
    if (!compiled.ok) throw new Error('does not compile');
    expect(previewPlan(compiled.program)[0]).toMatchObject({ condition: { classes: 10, choice: { kind: 'values', values: [7] } } });
  });

  it('the picker offers each class, every single class, the null label and held-out labels', () => {
    const options = conditionOptions({ classes: 3, nullLabel: 3 });
    expect(options.map((o) => [o.key, o.label])).toEqual([
      ['each-class', 'each class (a row per class)'],
      ['values:0', 'class 0'],
      ['values:1', 'class 1'],
      ['values:2', 'class 2'],
      ['values:3', 'no class (null label 3)'],
      ['held-out', 'held-out labels'],
    ]);
    expect(options.every((o) => conditionKey(o.choice) === o.key)).toBe(true);
    expect(conditionOptions({ classes: 2 }).map((o) => o.key)).toEqual(['each-class', 'values:0', 'values:1', 'held-out']);
  });

  it('with classes unknown, only held-out labels can be offered; with very many, not each one', () => {
    expect(conditionOptions({}).map((o) => o.key)).toEqual(['held-out']);
    const many = conditionOptions({ classes: 50_000 });
    expect(many).toHaveLength(MAX_CLASS_OPTIONS + 2);
    expect(many[0]!.key).toBe('each-class');
  });

  it("keeps a sampler's chosen labels for a plan whose classes accept them, and drops the rest", () => {
    const cgan = previewPlan(presetAs('cgan'));
    const chosen = new Map<string, ConditionChoice>([
      ['sampler', { kind: 'values', values: [7] }],
      ['gone', { kind: 'held-out' }],
    ]);
    expect(applicableConditions(cgan, chosen)).toEqual(new Map([['sampler', { kind: 'values', values: [7] }]]));
    expect(applicableConditions(cgan, new Map([['sampler', { kind: 'values', values: [10] }]]))).toEqual(new Map());
    // The same name in a graph without a condition.
    expect(applicableConditions(previewPlan(presetAs('gan')), chosen)).toEqual(new Map());
  });
});
