/** What a graph is follows from its structure, never from meta.family. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { adversarialObjectives, dequantizedDimensions, heldOutMetrics, invertibleSampler, judgedSamplers, objectiveMetric, walksEncodedLatent } from '../../src/core/train/roles.ts';
import { hasAdversarialBalance, previewPlan } from '../../src/worker/preview-plan.ts';
import { handVae } from './hand-vae.ts';

function programOf(doc: GraphDocument): Program {
  const compiled = compile(doc);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return compiled.program;
}

function presetDocument(name: string): GraphDocument {
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error(`${name} does not load`);
  return loaded.document;
}

const relabelled = (doc: GraphDocument, family: GraphDocument['meta']['family']): GraphDocument => ({ ...doc, meta: { ...doc.meta, family } });

/** Every role the evaluation and the previews read, by sampler and objective name. */
function roles(program: Program) {
  const samplers = (plans: readonly Program['samplers'][number][]) => plans.map((p) => p.op.origin.node);
  return {
    metrics: heldOutMetrics(program),
    inverse: invertibleSampler(program)?.op.origin.node ?? null,
    judged: samplers(judgedSamplers(program)),
    walked: samplers(program.samplers.filter((p) => walksEncodedLatent(program, p))),
    adversarial: adversarialObjectives(program).map((o) => o.id),
  };
}

const NONE = { metrics: [], inverse: null, judged: [], walked: [], adversarial: [] };
const EXPECTED: Record<string, ReturnType<typeof roles>> = {
  vae: { ...NONE, metrics: [{ metric: 'negElbo', objective: 'elbo' }], judged: ['sampler'], walked: ['sampler'] },
  transformer: { ...NONE, metrics: [{ metric: 'valNatsPerChar', objective: 'main' }] },
  'gpt-tied': { ...NONE, metrics: [{ metric: 'valNatsPerChar', objective: 'main' }] },
  // The prior's cross-entropy is over the code map its PixelSampler draws: nats per code. Its samples end in the decoder placed after the sampler: digits, judged.
  'vq-vae': { ...NONE, metrics: [{ metric: 'valNatsPerCode', objective: 'prior' }], judged: ['sampler'] },
  seq2seq: { ...NONE, metrics: [{ metric: 'valNatsPerChar', objective: 'main' }] },
  // Its summed BCE is over the image its PixelSampler draws pixel by pixel: an exact NLL. Its samples are 28×28 digits, judged; no latent to walk.
  pixelcnn: { ...NONE, metrics: [{ metric: 'valNll', objective: 'main' }], judged: ['sampler'] },
  'char-lstm': { ...NONE, metrics: [{ metric: 'valNatsPerChar', objective: 'main' }] },
  // Its latent is the data mapped forward, but 2D points get a scatter, not an interpolation.
  flow: { ...NONE, metrics: [{ metric: 'valNll', objective: 'main' }], inverse: 'sampler', walked: ['sampler'] },
  // Its samples are 28×28 digits of a graph that reads MNIST, so the judge scores them too.
  glow: { ...NONE, metrics: [{ metric: 'valNll', objective: 'main' }], inverse: 'sampler', judged: ['sampler'], walked: ['sampler'] },
  gan: { ...NONE, judged: ['sampler'], adversarial: ['D', 'G'] },
  'gan-2d': { ...NONE, adversarial: ['D', 'G'] },
  'wgan-gp-2d': { ...NONE, adversarial: ['D', 'G'] },
  // β = 4 with a KL warm-up: its objective is weighted, so the negative ELBO is its loss nodes at weight 1.
  'beta-vae-conv': { ...NONE, metrics: [{ metric: 'negElbo', objective: 'elbo', atUnitWeight: true }], judged: ['sampler'], walked: ['sampler'] },
  diffusion: { ...NONE, judged: ['ddpm', 'ddim'] },
  'diffusion-2d': NONE,
  // Conditioned samplers are judged like the others (and their classAccuracy scored from the labels they ask for).
  cgan: { ...NONE, judged: ['sampler'], adversarial: ['D', 'G'] },
  'diffusion-guided': { ...NONE, judged: ['ddim'] },
  // The DDIM sampler's latents end in the decoder placed after it: digits, so judged; its latent is fresh noise, not walked.
  'latent-diffusion': { ...NONE, metrics: [{ metric: 'negElbo', objective: 'vae' }], judged: ['vae_prior', 'ddim'], walked: ['vae_prior'] },
  'mnist-classifier': NONE,
};

describe('roles of the presets', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: the same roles under any family label`, () => {
      const doc = presetDocument(name);
      expect(roles(programOf(doc))).toEqual(expected);
      // Custom, and labels that are wrong for most presets: none adds or takes away a role.
      for (const family of ['custom', 'vae', 'gan'] as const) expect(roles(programOf(relabelled(doc, family))), family).toEqual(expected);
    });
  }

  it('an NLL of dequantized data reads in bits per dimension; of continuous data it does not', () => {
    expect(dequantizedDimensions(programOf(presetDocument('glow')), 'main')).toBe(784);
    expect(dequantizedDimensions(programOf(presetDocument('flow')), 'main')).toBeUndefined();
  });

  it('every preset is in the table', () => {
    const files = readdirSync('graph-presets').filter((f) => f.endsWith('.json'));
    expect(files.map((f) => f.replace(/\.json$/, '')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });
});

describe('roles of graphs built by hand', () => {
  it('a VAE wired from primitives, family custom, is an ELBO with judged digits and a latent interpolation', () => {
    const doc = handVae();
    expect(doc.meta.family).toBe('custom');
    const program = programOf(doc);
    expect(roles(program)).toEqual({ ...NONE, metrics: [{ metric: 'negElbo', objective: 'main' }], judged: ['sampler'], walked: ['sampler'] });
    expect(previewPlan(program).map((s) => `${s.kind}:${s.sampler}`)).toEqual(['grid:sampler', 'interpolation:sampler']);
    expect(hasAdversarialBalance(program)).toBe(false);
  });

  it('mean-reduced or squared-error losses are not an ELBO in nats per example', () => {
    for (const variant of [{ rec: { reduction: 'mean' } }, { rec: { loss: 'mse' } }]) {
      expect(heldOutMetrics(programOf(handVae(variant))), JSON.stringify(variant)).toEqual([]);
    }
  });

  it('weighted losses (a β, a KL warm-up) total another quantity: their ELBO is taken at weight 1', () => {
    for (const variant of [{ kl: { weight: 0.5 } }, { rec: { weight: 2 } }, { kl: { warmupSteps: 100 } }]) {
      const program = programOf(handVae(variant));
      expect(objectiveMetric(program.objectives[0]!), JSON.stringify(variant)).toBeUndefined();
      expect(heldOutMetrics(program), JSON.stringify(variant)).toEqual([{ metric: 'negElbo', objective: 'main', atUnitWeight: true }]);
    }
  });

  it('samples that are not 28×28 images are not judged, though still previewed', () => {
    // The decoder's hidden layer: 64 values, drawn as 8×8 images.
    const program = programOf(handVae({ sampled: 'dh.y' }));
    expect(judgedSamplers(program)).toEqual([]);
    expect(previewPlan(program).map((s) => s.kind)).toEqual(['grid', 'interpolation']);
  });

  it('a metric two objectives share names neither', () => {
    const [elbo] = programOf(presetDocument('vae')).objectives;
    expect(objectiveMetric(elbo!)).toBe('negElbo');
    expect(heldOutMetrics({ objectives: [{ ...elbo!, id: 'a' }, { ...elbo!, id: 'b' }] })).toEqual([]);
    const [nll] = programOf(presetDocument('flow')).objectives;
    expect(heldOutMetrics({ objectives: [{ ...elbo!, id: 'a' }, { ...nll!, id: 'b' }] })).toEqual([
      { metric: 'negElbo', objective: 'a' },
      { metric: 'valNll', objective: 'b' },
    ]);
  });
});

/** Lines that decide something by a family label: comparing, indexing, switching or testing it. */
const BRANCH_ON_FAMILY = [
  /\bfamily\s*[!=]==?/,
  /[!=]==?\s*[\w.?!]*\bfamily\b/,
  /\[[^\]'"`\n]*\bfamily\s*\]/,
  /\bswitch\s*\([^)]*\bfamily\b/,
  /\b(if|while)\s*\([^)]*\bmeta\.family\b/,
  /\bmeta\.family\s*(\?(?![.?])|&&|\|\|)/,
  /\b(includes|indexOf|has|get)\([^)]*\bmeta\.family\b/,
];
const branchesOnFamily = (line: string) => BRANCH_ON_FAMILY.some((re) => re.test(line));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return path === join('src', 'ui', 'gallery') ? [] : sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

describe('meta.family is a label for the gallery only', () => {
  it('the check catches a branch and lets a label through', () => {
    for (const bad of ["if (program.document.meta.family === 'vae') x();", 'const make = BASELINES[family];', 'switch (doc.meta.family) {', 'return meta.family && ok;', "'gan' !== meta.family"]) {
      expect(branchesOnFamily(bad), bad).toBe(true);
    }
    for (const fine of ['family: program.document.meta.family,', 'doc.meta.family = v;', "family: zFamily.default('custom'),", "const legend = result.family ? 'x' : 'y';"]) {
      expect(branchesOnFamily(fine), fine).toBe(false);
    }
  });

  it('no source outside src/ui/gallery branches on it', () => {
    const files = sourceFiles('src');
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (branchesOnFamily(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });
});
