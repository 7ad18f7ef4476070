/**
 * `gencomposer export` and `gencomposer import-weights` from the command
 * line: the weights round trip GenComposer → safetensors → PyTorch →
 * safetensors → GenComposer leaves every number as it was; a graph the
 * export cannot write is refused naming the node; a weights file that does
 * not fit the graph is refused naming the tensor. The Python steps are
 * skipped, saying so, without torch.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/core/export/safetensors.ts';
import { cli, expectNoStackTrace } from './run-cli.ts';
import { lossInModule, makeDocument } from '../documents.ts';
import { saveDocument } from '../../src/core/graph/save.ts';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!hasTorch) console.warn('cli export: the PyTorch round trip is skipped, /usr/bin/python3 cannot import torch');

const dir = mkdtempSync(join(tmpdir(), 'gencomposer-cli-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gencomposer export and import-weights', () => {
  it.skipIf(!hasTorch)('carries weights to PyTorch and back unchanged', async () => {
    const project = join(dir, 'vae');
    const exported = await cli('export', 'graph-presets/vae.json', '--to', 'pytorch', '--out', project);
    expect(exported.code, exported.stderr).toBe(0);
    for (const f of ['model.py', 'train.py', 'weights.safetensors', 'README.md', 'requirements.txt', 'gencomposer/__init__.py', 'data/mnist.bin']) expect(existsSync(join(project, f)), f).toBe(true);
    // PyTorch reads the weights into model.py's Model and writes its state_dict back.
    const resaved = join(dir, 'resaved.safetensors');
    const script = 'import sys, gencomposer as gc; from model import Model; m = Model(); gc.load_weights(m, "weights.safetensors"); gc.save_weights(m, sys.argv[1])';
    const py = spawnSync(PYTHON, ['-c', script, resaved], { cwd: project, encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const checkpoint = join(dir, 'checkpoint');
    const imported = await cli('import-weights', 'graph-presets/vae.json', '--from', resaved, '--out', checkpoint);
    expect(imported.code, imported.stderr).toBe(0);
    // The checkpoint exported again gives the very bytes of every tensor.
    const again = join(dir, 'again');
    const second = await cli('export', 'graph-presets/vae.json', '--to', 'pytorch', '--out', again, '--checkpoint', checkpoint);
    expect(second.code, second.stderr).toBe(0);
    const first = decodeSafetensors(readFileSync(join(project, 'weights.safetensors'))).tensors;
    const last = decodeSafetensors(readFileSync(join(again, 'weights.safetensors'))).tensors;
    expect(last.map((t) => t.name)).toEqual(first.map((t) => t.name));
    first.forEach((t, i) => expect(Buffer.from(last[i]!.data.buffer).equals(Buffer.from(t.data.buffer)), t.name).toBe(true));
  }, 240_000);

  it('writes a Dense tied to another Dense as one parameter, used transposed', async () => {
    const doc = makeDocument(
      [
        { id: 'data', kind: 'Data', params: { dataset: 'two-moons' } },
        { id: 'a', kind: 'Dense', params: { units: 3 } },
        { id: 'b', kind: 'Dense', params: { units: 2, tiedTo: 'a' } },
        { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
      ],
      ['data.x->a.x', 'a.y->b.x', 'b.y->loss.prediction', 'data.x->loss.target'],
    );
    const file = join(dir, 'tied.json');
    writeFileSync(file, saveDocument(doc));
    const out = join(dir, 'tied');
    const result = await cli('export', file, '--to', 'pytorch', '--out', out);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(out, 'model.py'), 'utf8')).toContain('self.b.tie(self.a.weight, transposed=True)');
    if (!hasTorch) return;
    // One parameter for both, and b's matrix is a's kernel: the transpose of nn.Linear's weight.
    const check = spawnSync(PYTHON, ['-c', "from model import Model; m = Model(); print(sorted(dict(m.named_parameters()))); print(bool((m.b.matrix() == m.a.weight.t()).all()))"], { cwd: out, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toBe("['a.bias', 'a.weight', 'b.bias']\nTrue\n");
  }, 60_000);

  it('refuses a graph it cannot write, naming the node (GC301)', async () => {
    // A loss inside a module is not written yet.
    const doc = lossInModule();
    const file = join(dir, 'inner-loss.json');
    writeFileSync(file, saveDocument(doc));
    expect((await cli('validate', file)).code).toBe(0);
    const result = await cli('export', file, '--to', 'pytorch', '--out', join(dir, 'never'));
    expect(result.code).toBe(1);
    expectNoStackTrace(result.stderr);
    expect(result.stderr).toMatch(/GC301/);
    expect(result.stderr).toMatch(/inner_loss/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  }, 60_000);

  it('refuses weights that do not fit the graph, naming the tensor', async () => {
    const wrong = join(dir, 'wrong.safetensors');
    writeFileSync(wrong, encodeSafetensors([{ name: 'encoder.mu.weight', dtype: 'F32', shape: [2, 2], data: new Float32Array(4) }]));
    const result = await cli('import-weights', 'graph-presets/vae.json', '--from', wrong, '--out', join(dir, 'wrong-checkpoint'));
    expect(result.code).toBe(1);
    expectNoStackTrace(result.stderr);
    expect(result.stderr).toMatch(/no tensor "encoder\.body\.0\.weight"|encoder\.mu\.weight/);
  }, 60_000);

  it('asks for --to and --out', async () => {
    const noTarget = await cli('export', 'graph-presets/vae.json', '--out', join(dir, 'x'));
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/--to must be one of pytorch/);
    const noOut = await cli('export', 'graph-presets/vae.json', '--to', 'pytorch');
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/--out DIR is required/);
  }, 60_000);
});
