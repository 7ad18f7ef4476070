import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createBaseline as createTransformer } from '../../bench/baselines/transformer.ts';
import { createBaseline as createVae } from '../../bench/baselines/vae.ts';
import { baselineFor, benchFile, type BenchResult } from '../../src/cli/bench.ts';
import { loadProgram, openData } from '../../src/cli/setup.ts';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { initNodeBackend } from '../../src/core/train/backends/node.ts';
import { streamBatches } from '../../src/core/train/program-data.ts';
import { createRandom } from '../../src/core/base/random.ts';
import { stepSeed, TrainingSession } from '../../src/core/train/session.ts';
import { cli, expectNoStackTrace } from './run-cli.ts';
import { torchAvailable } from '../oracle/cases.ts';


const FAST = { steps: 2, warmup: 1 } as const;

function expectMeasured(m: { kernelsPerStep: number; msPerStep: number; meanMsPerStep: number; parameters: number }) {
  expect(Number.isInteger(m.kernelsPerStep)).toBe(true);
  expect(m.kernelsPerStep).toBeGreaterThan(0);
  expect(m.msPerStep).toBeGreaterThan(0);
  expect(m.meanMsPerStep).toBeGreaterThan(0);
  expect(m.parameters).toBeGreaterThan(0);
}

function expectCompared(r: BenchResult) {
  expectMeasured(r.graph);
  expect(r.baseline).not.toBeNull();
  expectMeasured(r.baseline!);
  expect(r.baseline!.parameters).toBe(r.graph.parameters);
  expect(r.ratio!.kernels).toBeCloseTo(r.graph.kernelsPerStep / r.baseline!.kernelsPerStep, 2);
  expect(r.ratio!.ms).toBeGreaterThan(0);
}

describe('bench', () => {
  // Four short runs on the cpu backend: about 30 s alone, twice that beside another test file.
  it('compares the VAE with its baseline, and counts the same kernels every time', { timeout: 180_000 }, async () => {
    const first = await benchFile('graph-presets/vae.json', { backend: 'cpu', ...FAST });
    expect(first).toMatchObject({ family: 'vae', backend: 'cpu', adapter: null, batchSize: 128, steps: 2, warmup: 1 });
    expectCompared(first);
    expect(first.graph.parameters).toBe(652_824);
    const second = await benchFile('graph-presets/vae.json', { backend: 'cpu', ...FAST });
    expect(second.graph.kernelsPerStep).toBe(first.graph.kernelsPerStep);
    expect(second.baseline!.kernelsPerStep).toBe(first.baseline!.kernelsPerStep);
    expect(first.graph.dispatchesPerStep).toBeNull();
  });

  it('on webgpu also counts the compute dispatches of a step', async () => {
    const result = await benchFile('graph-presets/vae.json', { backend: 'webgpu', ...FAST });
    expectCompared(result);
    for (const side of [result.graph, result.baseline!]) {
      expect(Number.isInteger(side.dispatchesPerStep)).toBe(true);
      // Reshapes, and kernels run on a CPU copy of a small tensor, dispatch nothing.
      expect(side.dispatchesPerStep!).toBeGreaterThan(0);
      expect(side.dispatchesPerStep!).toBeLessThan(side.kernelsPerStep);
    }
  });

  // wasm: the same kernels as cpu, several times faster for this model.
  it('compares the Transformer with its baseline', async () => {
    const result = await benchFile('graph-presets/transformer.json', { backend: 'wasm', steps: 1, warmup: 1 });
    expect(result).toMatchObject({ family: 'transformer', backend: 'wasm', batchSize: 64 });
    expectCompared(result);
    expect(result.graph.parameters).toBe(204_700);
  });

  it('prints JSON with no baseline for a graph that no baseline reproduces', async () => {
    const { code, stdout } = await cli('bench', 'graph-presets/flow.json', '--backend', 'cpu', '--steps', '2', '--warmup', '1', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as BenchResult;
    expect(Object.keys(result)).toEqual(['name', 'file', 'family', 'backend', 'adapter', 'batchSize', 'warmup', 'steps', 'graph', 'baseline', 'ratio', 'pytorch']);
    expect(result.pytorch).toBeNull();
    expect(result.family).toBe('flow');
    expectMeasured(result.graph);
    expect(result.baseline).toBeNull();
    expect(result.ratio).toBeNull();
  });

  it.skipIf(!torchAvailable('bench --against pytorch'))('times the exported PyTorch twin in the same run, and says which BLAS it ran on', async () => {
    const { code, stdout, stderr } = await cli('bench', 'graph-presets/flow.json', '--backend', 'cpu', '--steps', '2', '--warmup', '1', '--against', 'pytorch', '--json');
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as BenchResult;
    const twin = result.pytorch!;
    expect(twin.parameters).toBe(result.graph.parameters);
    expect(twin.msPerStep).toBeGreaterThan(0);
    expect(twin.ratio).toBeCloseTo(result.graph.msPerStep / twin.msPerStep, 2);
    expect(twin.threads).toBe(1);
    expect(twin.blas).toMatch(/blas/i);
    expect(twin.device).toBe('cpu');
    expect(stderr).toMatch(/pytorch twin: torch .*, 1 thread\(s\), BLAS: /);
  }, 120_000);

  it('prints its table as lines, not as one line of escaped newlines', async () => {
    const { code, stdout } = await cli('bench', 'graph-presets/flow.json', '--backend', 'cpu', '--steps', '1', '--warmup', '1');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[0]).toMatch(/^graph-presets\/flow\.json: /);
    expect(lines[1]).toMatch(/^ {2}graph +\d+ kernels\/step/);
    expect(stdout).not.toContain('\\n');
  });

  it('exits 2 on a bad command line or a missing file, without a stack trace', async () => {
    const bad = [['--colour'], ['--steps', 'many'], ['--steps', '0'], ['--warmup', '0'], ['--backend', 'tpu'], ['--against', 'jax'], ['--threads', '2'], ['--against', 'pytorch', '--threads', '0'], ['--torch-device', 'cuda'], ['--against', 'pytorch', '--torch-device', 'tpu']];
    const [missing, ...results] = await Promise.all([cli('bench', 'no/such/graph.json'), ...bad.map((args) => cli('bench', 'graph-presets/vae.json', ...args))]);
    results.forEach(({ code, stderr }, i) => {
      expect(code, bad[i]!.join(' ')).toBe(2);
      expectNoStackTrace(stderr);
    });
    expect(results[0]!.stderr).toContain("Unknown option '--colour'");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });
});

describe('which baseline a graph gets', () => {
  function programAs(name: string, edit: (doc: GraphDocument) => GraphDocument = (doc) => doc): Program {
    const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
    if (!loaded.ok) throw new Error(`${name} does not load`);
    const compiled = compile(edit(loaded.document));
    if (!compiled.ok) throw new Error(`${name} does not compile`);
    return compiled.program;
  }
  const labelled = (family: GraphDocument['meta']['family']) => (doc: GraphDocument) => ({ ...doc, meta: { ...doc.meta, family, name: 'renamed' } });

  it('the model of the preset a baseline reproduces, under any label, name, seed or batch size', async () => {
    expect(await baselineFor(programAs('vae'))).toBe(createVae);
    expect(await baselineFor(programAs('vae', labelled('custom')))).toBe(createVae);
    expect(await baselineFor(programAs('transformer', labelled('custom')))).toBe(createTransformer);
    const reseeded = (doc: GraphDocument) => ({ ...doc, training: { ...doc.training, seed: 9, batchSize: 16 } });
    expect(await baselineFor(programAs('vae', reseeded))).toBe(createVae);
  });

  it('no baseline for another model, whatever its label says', async () => {
    // Labelled transformer, but an encoder-decoder.
    expect(await baselineFor(programAs('seq2seq'))).toBeUndefined();
    expect(await baselineFor(programAs('gan', labelled('vae')))).toBeUndefined();
    const wider = (doc: GraphDocument) => ({ ...doc, nodes: doc.nodes.map((n) => (n.kind === 'Encoder' ? { ...n, params: { ...n.params, latent: 8 } } : n)) });
    expect(await baselineFor(programAs('vae', wider))).toBeUndefined();
  });
});

describe('baselines compute what the graphs compute', () => {
  /** The graph's loss at step 0, and the session it came from (weights not yet updated are read first). */
  async function graphAtStart(file: string) {
    await initNodeBackend('cpu');
    const program = await loadProgram(file);
    const batches = streamBatches(await openData(file, program));
    const session = new TrainingSession(program, batches);
    const weights = new Map([...session.variables].map(([key, v]) => [key, v.clone()]));
    session.trainStep();
    const total = Object.values((await session.readLosses()).objectives)[0]!.total;
    const batch = batches(program.feeds[0]!, 0, session.batchSize);
    session.dispose();
    return { program, weights, total, batch };
  }

  it('VAE: the same negative ELBO from the same weights, batch and noise; no tensors left behind', async () => {
    const { program, weights, total, batch } = await graphAtStart('graph-presets/vae.json');
    const base = createVae(program.document.training.batchSize);
    const names = { enc: 'encoder/fc0', mu: 'encoder/mu', logvar: 'encoder/logvar', dec: 'decoder/fc0', out: 'decoder/out' } as const;
    for (const [short, scope] of Object.entries(names)) {
      base.weights[short as keyof typeof names].assign(weights.get(`${scope}/kernel`)!);
      base.weights[`${short}B` as `${keyof typeof names}B`].assign(weights.get(`${scope}/bias`)!);
    }
    // The Reparameterize noise is the step's only random draw.
    const eps = createRandom(stepSeed(program.document.training.seed, 0)).normal([128, 20]) as tf.Tensor2D;
    const loss = base.loss(batch.x as tf.Tensor2D, eps);
    expect(Math.abs((await loss.data())[0]! - total)).toBeLessThan(1e-4 * Math.abs(total));
    tf.dispose([loss, eps, ...Object.values(batch), ...weights.values()]);

    base.step().dispose();
    const before = tf.memory().numTensors;
    base.step().dispose();
    expect(tf.memory().numTensors).toBe(before);
    base.dispose();
  });

  it('Transformer: the same cross-entropy from the same weights and batch', async () => {
    const { program, weights, total, batch } = await graphAtStart('graph-presets/transformer.json');
    const base = createTransformer(program.document.training.batchSize);
    const w = (key: string) => weights.get(key)!;
    base.weights.tokenTable.assign(w('embed/table'));
    base.weights.positions.assign(w('positions/positions'));
    // In a tidy: the concatenated q, k, v are temporaries.
    tf.tidy(() => base.weights.blocks.forEach((blk, i) => {
      const s = `block${i + 1}`;
      blk.ln1g.assign(w(`${s}/ln_attn/gamma`));
      blk.ln1b.assign(w(`${s}/ln_attn/beta`));
      blk.qkv.assign(tf.concat(['q', 'k', 'v'].map((p) => w(`${s}/attn/${p}/kernel`)), 1));
      blk.qkvB.assign(tf.concat(['q', 'k', 'v'].map((p) => w(`${s}/attn/${p}/bias`))));
      blk.proj.assign(w(`${s}/attn/out/kernel`));
      blk.projB.assign(w(`${s}/attn/out/bias`));
      blk.ln2g.assign(w(`${s}/ln_mlp/gamma`));
      blk.ln2b.assign(w(`${s}/ln_mlp/beta`));
      blk.fc.assign(w(`${s}/mlp_fc/kernel`));
      blk.fcB.assign(w(`${s}/mlp_fc/bias`));
      blk.out.assign(w(`${s}/mlp_proj/kernel`));
      blk.outB.assign(w(`${s}/mlp_proj/bias`));
    }));
    base.weights.lnFg.assign(w('norm/gamma'));
    base.weights.lnFb.assign(w('norm/beta'));
    base.weights.head.assign(w('head/kernel'));
    base.weights.headB.assign(w('head/bias'));
    // Real names: padding (token 0) in the targets, which both must skip.
    expect(Array.from(await batch.y!.data())).toContain(0);
    const loss = base.loss(batch.x as tf.Tensor2D, batch.y as tf.Tensor2D);
    expect(Math.abs((await loss.data())[0]! - total)).toBeLessThan(1e-4 * Math.abs(total));
    tf.dispose([loss, ...Object.values(batch), ...weights.values()]);
    base.dispose();
  });
});
