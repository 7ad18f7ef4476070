/**
 * What stepping a recurrent model saves: samples a trained LSTM/GRU
 * character model from one checkpoint twice, one position at a time with
 * the state carried (what the AutoregressiveSampler does for such a model)
 * and re-running the whole prefix for every token (what it must do for
 * attention), checks that both give the same tokens, and prints the two
 * times and their ratio (one run, one machine).
 * Run: npx tsx bench/recurrent-sampling.ts GRAPH CHECKPOINT_DIR [SAMPLES=200]
 * e.g. npx tsx bench/recurrent-sampling.ts graph-presets/char-lstm.json runs/char-lstm/checkpoint 200
 */
import { readCheckpointFiles, restoreCheckpointInto } from '../src/cli/checkpoint-files.ts';
import { loadProgram, openData, startBackend } from '../src/cli/setup.ts';
import type { AutoregressivePlan } from '../src/core/nodes/autoregressive-sampler.ts';
import { streamBatches } from '../src/core/train/program-data.ts';
import { runSampler } from '../src/core/train/sampling.ts';
import { TrainingSession } from '../src/core/train/session.ts';

const [file, dir, samples = '200'] = process.argv.slice(2);
if (!file || !dir) throw new Error('usage: npx tsx bench/recurrent-sampling.ts GRAPH CHECKPOINT_DIR [SAMPLES]');
const { name: backend } = await startBackend('wasm');
const program = await loadProgram(file);
const checkpoint = await readCheckpointFiles(dir);
const session = new TrainingSession(program, streamBatches(await openData(file, program)));
restoreCheckpointInto(dir, session, checkpoint, 'weights');
const plan = program.samplers.find((p) => p.kind === 'autoregressive') as AutoregressivePlan | undefined;
if (!plan?.stepwise) throw new Error(`${file}: no autoregressive sampler over a recurrent model`);
// stopToken −1: every sequence runs to the full context, so both ways do the same number of tokens.
const full: AutoregressivePlan = { ...plan, op: { ...plan.op, params: { ...(plan.op.params as object), stopToken: -1 } } };
const timed = async (stepwise: boolean) => {
  const variant: AutoregressivePlan = { ...full, stepwise };
  const started = performance.now();
  const result = await runSampler(session, variant, { count: Number(samples), seed: 99 });
  if (result.kind !== 'tokens') throw new Error('expected tokens');
  return { seconds: (performance.now() - started) / 1000, tokens: result.tokens };
};
await timed(true); // warm-up: kernels compiled, weights uploaded
const stepped = await timed(true);
const whole = await timed(false);
const same = JSON.stringify(stepped.tokens) === JSON.stringify(whole.tokens);
console.log(JSON.stringify({ backend, samples: Number(samples), tokensEach: stepped.tokens[0]!.length, steppedSeconds: +stepped.seconds.toFixed(2), wholePrefixSeconds: +whole.seconds.toFixed(2), ratio: +(whole.seconds / stepped.seconds).toFixed(2), sameTokens: same }));
session.dispose();
