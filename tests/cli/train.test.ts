import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { cli, expectNoStackTrace } from './run-cli.ts';


const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
/** metrics.jsonl's loss lines (validation lines are interleaved with them). */
const lossLines = (path: string) => lines(path).filter((m) => m.losses);

describe('gencomposer train and sample', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gencomposer-train-'));

  it('trains, writes the run record, and resumes to the same numbers', { timeout: 240_000 }, async () => {
    const straight = join(dir, 'straight');
    const first = await cli('train', 'graph-presets/flow.json', '--steps', '40', '--log-every', '10', '--validate-every', '20', '--backend', 'cpu', '--out', straight);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('backend: cpu');
    for (const file of ['metrics.jsonl', 'summary.json', 'samples.png', 'checkpoint/model.json', 'checkpoint/weights-000040.bin']) expect(existsSync(join(straight, file)), file).toBe(true);
    const summary = JSON.parse(readFileSync(join(straight, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ family: 'flow', backend: 'cpu', steps: 40, status: 'done', seed: 0 });
    expect(summary.kernelsPerStep).toBeGreaterThan(100);
    expect(summary.msPerStep).toBeGreaterThan(0);
    expect(summary.eval).toMatchObject({ split: 'validation', examples: 2000, valNll: expect.any(Number) });
    expect(summary.eval.heldOut.main.total).toBe(summary.eval.valNll);
    expect(summary.eval.inverseError).toBeLessThan(1e-4);
    expect(summary.eval.samplers[0]).toMatchObject({ sampler: 'sampler', family: 'flow', count: 1000 });
    expect(summary.samples[0]).toMatchObject({ sampler: 'sampler', file: 'samples.png', count: 512 });
    expect(lossLines(join(straight, 'metrics.jsonl')).map((m) => m.step)).toEqual([10, 20, 30, 40]);
    const validation = lines(join(straight, 'metrics.jsonl')).filter((m) => m.validation);
    expect(validation.map((m) => m.step)).toEqual([20, 40]);
    // 512 of the validation examples, not the 2,000 of the final evaluation: close to it, not equal.
    expect(validation[1].validation.main).toBeCloseTo(summary.eval.valNll, 0);
    expect(validation[1].validation.main).not.toBe(summary.eval.valNll);
    const png = PNG.sync.read(readFileSync(join(straight, 'samples.png')));
    expect(png.width).toBeGreaterThan(100);

    const half = join(dir, 'half');
    expect((await cli('train', 'graph-presets/flow.json', '--steps', '20', '--log-every', '10', '--backend', 'cpu', '--out', half)).code).toBe(0);
    const resumed = join(dir, 'resumed');
    const again = await cli('train', 'graph-presets/flow.json', '--steps', '40', '--log-every', '10', '--backend', 'cpu', '--out', resumed, '--resume', join(half, 'checkpoint'));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('resumed from');
    const tail = lossLines(join(resumed, 'metrics.jsonl'));
    expect(tail.map((m) => m.step)).toEqual([30, 40]);
    expect(tail.at(-1).losses).toEqual(lossLines(join(straight, 'metrics.jsonl')).at(-1).losses);

    const sampled = await cli('sample', 'graph-presets/flow.json', '--checkpoint', join(straight, 'checkpoint'), '--n', '50', '--out', join(dir, 'more.png'), '--backend', 'cpu');
    expect(sampled.code, sampled.stderr).toBe(0);
    expect(existsSync(join(dir, 'more.png'))).toBe(true);
  });

  it('writes text samples as names, and scores them against the training names', { timeout: 120_000 }, async () => {
    const out = join(dir, 'names');
    const trained = await cli('train', 'graph-presets/transformer.json', '--steps', '5', '--log-every', '5', '--backend', 'wasm', '--out', out, '--eval-samples', '40');
    expect(trained.code, trained.stderr).toBe(0);
    const names = readFileSync(join(out, 'samples.txt'), 'utf8').trim().split('\n');
    expect(names).toHaveLength(32);
    expect(names.filter((n) => /^[a-z]+$/.test(n)).length).toBeGreaterThan(16);
    const score = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).eval.samplers[0];
    expect(score).toMatchObject({ family: 'autoregressive', count: 40, copiesOfTraining: expect.any(Number) });
    expect(score.distinct).toBeGreaterThan(0.5);
  });

  it('says clearly what is wrong, with exit 1 or 2 and no stack trace', { timeout: 60_000 }, async () => {
    const missing = await cli('train', 'no/such.json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
    const broken = await cli('train', 'tests/fixtures/broken/gc105-cycle.json');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('GC105');
    const badBackend = await cli('train', 'graph-presets/flow.json', '--backend', 'tpu');
    expect(badBackend.code).toBe(2);
    expect(badBackend.stderr).toContain('--backend must be one of');
    const badSteps = await cli('train', 'graph-presets/flow.json', '--steps', 'many');
    expect(badSteps.code).toBe(2);
    const inputGraph = join(dir, 'input.json');
    writeFileSync(
      inputGraph,
      JSON.stringify({
        format: 'gencomposer.graph',
        version: 3,
        meta: { name: 'fed from code' },
        nodes: [
          { id: 'x', kind: 'Input', params: { shape: [2] }, position: { x: 0, y: 0 } },
          { id: 'fc', kind: 'Dense', params: { units: 2 }, position: { x: 0, y: 0 } },
          { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'mse' }, position: { x: 0, y: 0 } },
        ],
        edges: [
          { id: 'e1', source: { node: 'x', port: 'x' }, target: { node: 'fc', port: 'x' } },
          { id: 'e2', source: { node: 'fc', port: 'y' }, target: { node: 'loss', port: 'prediction' } },
          { id: 'e3', source: { node: 'x', port: 'x' }, target: { node: 'loss', port: 'target' } },
        ],
      }),
    );
    const input = await cli('train', inputGraph, '--backend', 'cpu');
    expect(input.code).toBe(1);
    expect(input.stderr).toContain('Input node "x" has no data to train on');
    const wrongCheckpoint = await cli('sample', 'graph-presets/vae.json', '--checkpoint', join(dir, 'nowhere'), '--backend', 'cpu');
    expect(wrongCheckpoint.code).toBe(2);
    for (const r of [missing, broken, badBackend, badSteps, input, wrongCheckpoint]) expectNoStackTrace(r.stderr);
  });
});
