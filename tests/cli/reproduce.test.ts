/**
 * `gencomposer reproduce`: the table is computed from the runs' summaries
 * (mean ± standard deviation over seeds, the FID floor beside the FID), and
 * the command keeps finished runs and resumes stopped ones.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { meanAndSpread, metricsOfSummary, renderResults, replaceResults, RESULTS_BEGIN, RESULTS_END, type SeedResult } from '../../src/cli/results-table.ts';
import { cli, expectNoStackTrace } from './run-cli.ts';

const seed = (s: number, metrics: Record<string, number>, more: Partial<SeedResult> = {}): SeedResult => ({ seed: s, date: '2026-12-08', backend: 'wasm', steps: 6000, msPerStep: 50 + s, wallSeconds: 300 + s, evalSeconds: 20, metrics, ...more });

describe('the results table', () => {
  it('reads held-out and per-sampler numbers from a summary by key', () => {
    const metrics = metricsOfSummary({
      eval: {
        negElbo: 95.2,
        negIwae: 90.1,
        heldOut: { elbo: { total: 95.2 } },
        samplers: [
          { sampler: 'ddim', fid: 12.5, precision: 0.8, recall: 0.7, meanConfidence: 0.9, floor: { fid: 3.1 }, classShares: [0.1] },
          { sampler: 'names', copiesOfTraining: 0.25 },
        ],
      },
    });
    expect(metrics).toEqual({ negElbo: 95.2, negIwae: 90.1, 'ddim.fid': 12.5, 'ddim.precision': 0.8, 'ddim.recall': 0.7, 'ddim.meanConfidence': 0.9, 'ddim.fidFloor': 3.1, 'names.novel': 0.75 });
  });

  it('mean ± sample standard deviation', () => {
    expect(meanAndSpread([1, 2, 3])).toEqual({ mean: 2, sd: 1 });
    expect(meanAndSpread([4])).toEqual({ mean: 4 });
  });

  it('one row per preset: each metric over the seeds, the FID floor beside the FID, the time and the command', () => {
    const reference = [{ set: 'real training digits', count: 1000, fid: 8.6, precision: 0.88, recall: 0.88 }, { set: 'uniform noise', count: 1000, fid: 661.4, precision: 0, recall: 0 }];
    const table = renderResults(
      {
        presets: {
          vae: {
            file: 'graph-presets/vae.json',
            split: 'test',
            command: 'npx gencomposer train graph-presets/vae.json --seed S',
            machine: '2 cores',
            seeds: [
              seed(0, { negElbo: 94, negIwae: 90, 'sampler.fid': 40, 'sampler.fidFloor': 8.6, 'sampler.precision': 0.9 }, { judgeReference: reference, judgeTestAccuracy: 0.983 }),
              seed(1, { negElbo: 95, negIwae: 91, 'sampler.fid': 44, 'sampler.fidFloor': 8.6, 'sampler.precision': 0.8 }),
              seed(2, { negElbo: 96, negIwae: 92, 'sampler.fid': 48, 'sampler.fidFloor': 8.6, 'sampler.precision': 0.7 }),
            ],
          },
          flow: { file: 'graph-presets/flow.json', split: 'validation', command: 'npx gencomposer train graph-presets/flow.json --seed S', machine: '2 cores', seeds: [seed(0, { valNll: 1.17, inverseError: 2e-6 })] },
        },
      },
      ['vae', 'flow'],
    );
    const [header, , vae, flow] = table.split('\n');
    expect(header).toContain('| preset |');
    expect(vae).toContain('negative ELBO, nats 95.0 ± 1.0; IWAE bound (K = 100), nats 91.0 ± 1.0 (test)');
    expect(vae).toContain('judge-FID 44.0 ± 4.0 (floor 8.6), precision 0.80 ± 0.10');
    expect(vae).toContain('| 0, 1, 2 | 306 s (+ 20 s), 6,000 steps at 51 ms |');
    expect(flow).toContain('NLL, nats 1.17; round-trip error 2.0e-6 (validation)');
    expect(table).toContain('runs of 2026-12-08 on 2 cores, backend wasm');
    expect(table).toContain('real training digits 8.6 (precision 0.88, recall 0.88), uniform noise 661.4');
    expect(table).toContain('its test accuracy 98.3%');
  });

  it('replaces only what lies between the markers, and adds them when missing', () => {
    const text = `# Title\n\n${RESULTS_BEGIN}\nold table\n${RESULTS_END}\n\nAfter.\n`;
    const once = replaceResults(text, 'new table');
    expect(once).toBe(`# Title\n\n${RESULTS_BEGIN}\nnew table\n${RESULTS_END}\n\nAfter.\n`);
    expect(replaceResults(once, 'new table')).toBe(once);
    expect(replaceResults('# Title\n', 't')).toBe(`# Title\n\n${RESULTS_BEGIN}\nt\n${RESULTS_END}\n`);
  });
});

describe('gencomposer reproduce', () => {
  it('trains each seed, writes the table, keeps finished runs, resumes a stopped one and retrains after the preset changes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gencomposer-reproduce-'));
    const presets = join(out, 'graphs');
    mkdirSync(presets);
    copyFileSync('graph-presets/flow.json', join(presets, 'flow.json'));
    const run = () => cli('reproduce', '--presets', presets, '--seeds', '2', '--steps', '12', '--backend', 'cpu', '--out', out);
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    const table = readFileSync(join(out, 'results.md'), 'utf8');
    expect(table).toMatch(/\| `flow` \| NLL, nats [\d.]+ ± [\d.]+; round-trip error [\d.e-]+ \(validation\) \| — \| 0, 1 \|/);
    const record = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(record.presets.flow.seeds.map((s: SeedResult) => [s.seed, s.steps])).toEqual([[0, 12], [1, 12]]);
    // Seed 1 stopped before its evaluation: it resumes from its checkpoint; seed 0 is kept as it is.
    const summaryPath = join(out, 'flow', 'seed-1', 'summary.json');
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
    delete summary.eval;
    writeFileSync(summaryPath, JSON.stringify({ ...summary, status: 'stopped' }));
    const again = await run();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('flow, seed 0: kept the finished run');
    expect(again.stderr).toContain('flow, seed 1: resuming from');
    const resumed = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(resumed.presets.flow.seeds[1].metrics).toEqual(record.presets.flow.seeds[1].metrics);
    // A new description and layout: the same model, so the runs are kept.
    const graph = JSON.parse(readFileSync(join(presets, 'flow.json'), 'utf8'));
    const described = { ...graph, meta: { ...graph.meta, description: 'changed' }, nodes: graph.nodes.map((n: { position: { x: number } }) => ({ ...n, position: { ...n.position, x: n.position.x + 10 } })) };
    writeFileSync(join(presets, 'flow.json'), JSON.stringify(described));
    const redrawn = await run();
    expect(redrawn.code, redrawn.stderr).toBe(0);
    expect(redrawn.stderr).toContain('flow, seed 1: kept the finished run');
    // Another learning rate: its runs are trained again, not kept.
    const objectives = graph.training.objectives.map((o: { optimizer: object }) => ({ ...o, optimizer: { ...o.optimizer, learningRate: 0.0005 } }));
    writeFileSync(join(presets, 'flow.json'), JSON.stringify({ ...described, training: { ...graph.training, objectives } }));
    const changed = await run();
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stderr).toContain('flow, seed 0: training into');
    expect(changed.stderr).toContain('another version of the preset');
  }, 180_000);

  it('refuses a damaged results record before training, and leaves it as it was', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gencomposer-reproduce-'));
    for (const [text, says] of [['{"presets": {"vae": ', 'not valid JSON'], ['{"presets": []}', '"presets" is not an object']] as const) {
      writeFileSync(join(out, 'results.json'), text);
      const result = await cli('reproduce', 'flow', '--steps', '1', '--out', out);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(join(out, 'results.json'));
      expect(result.stderr).toContain(says);
      expectNoStackTrace(result.stderr);
      expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe(text);
    }
  });

  it('refuses a preset that does not exist, naming the ones that do', async () => {
    const result = await cli('reproduce', 'no-such-preset', '--steps', '1');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no preset named "no-such-preset"');
    expect(result.stderr).toContain('vae');
    expectNoStackTrace(result.stderr);
  });
});
