/**
 * `gencomposer export --to onnx` from the command line: it writes one model
 * per sampler network and onnx.json; with --checkpoint the models compute
 * with the checkpoint's weights (checked in onnxruntime against TF.js); bad
 * flags and graphs without a sampler get one-line errors.
 */
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../src/core/base/random.ts';
import { compile } from '../../src/core/compiler/program.ts';
import { exampleValues, networkInputs, runNetwork } from '../../src/core/export/onnx/trace.ts';
import { samplerNetworks } from '../../src/core/export/sampler-networks.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { TrainingSession } from '../../src/core/train/session.ts';
import { writeCheckpointDir } from '../../src/cli/checkpoint-files.ts';
import { UsageError } from '../../src/cli/args.ts';
import { exportCommand } from '../../src/cli/export.ts';
import { cli, expectNoStackTrace } from './run-cli.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

const dir = mkdtempSync(join(tmpdir(), 'gencomposer-cli-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Manifest {
  format: string;
  opset: number;
  batch: number;
  weights: string;
  files: { file: string; sampler: string; network: string; inputs: { name: string; dtype: string; shape: number[] }[]; outputs: { name: string; shape: number[] }[] }[];
}

describe('gencomposer export --to onnx', () => {
  it('writes a model per sampler network and onnx.json', async () => {
    const out = join(dir, 'diffusion');
    const result = await cli('export', 'graph-presets/diffusion-2d.json', '--to', 'onnx', '--out', out, '--batch', '3');
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['ddim.denoise.onnx', 'ddim.schedule.onnx', 'ddpm.denoise.onnx', 'ddpm.schedule.onnx', 'onnx.json']);
    const manifest = JSON.parse(readFileSync(join(out, 'onnx.json'), 'utf8')) as Manifest;
    expect(manifest).toMatchObject({ format: 'gencomposer.onnx', opset: 17, batch: 3, weights: 'the initial weights of seed 0' });
    const denoise = manifest.files.find((f) => f.file === 'ddpm.denoise.onnx')!;
    expect(denoise.inputs.map((i) => `${i.name}:${i.dtype}[${i.shape.join(',')}]`)).toEqual(['x_t:float32[3,2]', 't:int32[3]']);
    expect(denoise.outputs).toEqual([{ name: 'denoise', dtype: 'float32', shape: [3, 2] }]);
    // What onnx.json says is what the file holds.
    const session = await ort.InferenceSession.create(readFileSync(join(out, 'ddpm.denoise.onnx')));
    expect(session.inputNames).toEqual(['x_t', 't']);
    expect(session.outputNames).toEqual(['denoise']);
    await session.release();
  }, 60_000);

  it("computes with a checkpoint's weights", async () => {
    const text = readFileSync('graph-presets/gan-2d.json', 'utf8');
    const loaded = loadText(text);
    if (!loaded.ok) throw new Error('gan-2d does not load');
    const compiled = compile(loaded.document, analyze(loaded.document));
    if (!compiled.ok) throw new Error('gan-2d does not compile');
    const program = compiled.program;
    const session = new TrainingSession(program, () => ({}));
    try {
      // Weights no seed draws: every variable moved by a random amount.
      const random = createRandom(5);
      for (const v of session.variables.values()) v.assign(tf.tidy(() => tf.add(v, tf.mul(random.normal(v.shape), 0.5))));
      const checkpoint = join(dir, 'checkpoint');
      expect(await writeCheckpointDir(checkpoint, session)).toBeUndefined();
      const out = join(dir, 'gan');
      const result = await cli('export', 'graph-presets/gan-2d.json', '--to', 'onnx', '--out', out, '--checkpoint', checkpoint);
      expect(result.code, result.stderr).toBe(0);
      const manifest = JSON.parse(readFileSync(join(out, 'onnx.json'), 'utf8')) as Manifest;
      expect(manifest.weights).toMatch(/^the weights of checkpoint step 0/);
      const [file] = manifest.files;
      const plan = program.samplers[0]!;
      const network = samplerNetworks(plan)!.find((n) => n.name === file!.network)!;
      const [input] = networkInputs(program, network, 1);
      const z = exampleValues(input!, 42) as Float32Array;
      const want = tf.tidy(() => runNetwork(program, plan, network, session.variables, new Map([[input!.name, tf.tensor(z, input!.shape)]]), 1, createRandom(0)).dataSync());
      const onnx = await ort.InferenceSession.create(readFileSync(join(out, file!.file)));
      const got = (await onnx.run({ [input!.name]: new ort.Tensor('float32', z, input!.shape) }))[file!.network]!.data as Float32Array;
      await onnx.release();
      const scale = Math.max(...Array.from(want, Math.abs));
      want.forEach((w, i) => expect(Math.abs(w - got[i]!)).toBeLessThanOrEqual(1e-4 * scale));
    } finally {
      session.dispose();
    }
  }, 60_000);

  it('refuses bad flags with a one-line usage error', async () => {
    const cases: [string[], string][] = [
      [['--to', 'onnx', '--batch', '0'], '--batch must be a whole number from 1 to 4096, not "0"'],
      [['--to', 'onnx', '--batch', '2.5'], '--batch must be a whole number from 1 to 4096, not "2.5"'],
      [['--to', 'onnx', '--data', 'x=y.csv'], '--data applies to --to pytorch (an ONNX model reads no data files)'],
      [['--to', 'pytorch', '--batch', '4'], '--batch applies to --to onnx (the PyTorch project takes any batch)'],
      [['--to', 'tflite'], '--to must be one of pytorch, onnx, not "tflite"'],
    ];
    for (const [flags, message] of cases) {
      await expect(exportCommand(['graph-presets/vae.json', '--out', join(dir, 'bad'), ...flags]), flags.join(' ')).rejects.toThrow(new UsageError(message));
    }
    // As printed: the message on one line, then the usage.
    const result = await cli('export', 'graph-presets/vae.json', '--to', 'onnx', '--out', join(dir, 'bad'), '--batch', 'many');
    expect(result.code).toBe(2);
    expectNoStackTrace(result.stderr);
    expect(result.stderr.split('\n').slice(0, 2)).toEqual(['gencomposer export: --batch must be a whole number from 1 to 4096, not "many"', '']);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  }, 60_000);

  it('says so when the graph has no sampler', async () => {
    const result = await cli('export', 'graph-presets/mnist-classifier.json', '--to', 'onnx', '--out', join(dir, 'none'));
    expect(result.code).toBe(1);
    expectNoStackTrace(result.stderr);
    expect(result.stderr.trim()).toBe('gencomposer export: graph-presets/mnist-classifier.json: the graph has no sampler node, so it runs no network to export to ONNX');
    expect(existsSync(join(dir, 'none'))).toBe(false);
  }, 60_000);
});
