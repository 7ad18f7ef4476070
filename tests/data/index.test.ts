import { describe, expect, it } from 'vitest';
import { PUBLIC_DIR, readPublicAsset } from '../../src/core/data/assets.node.ts';
import { openDataSource, openTestSource } from '../../src/core/data/index.ts';
import { BUILTIN_DATASETS } from '../../src/core/data/datasets.ts';
import { dataNode } from '../../src/core/nodes/data.ts';
import { portsOf } from '../../src/core/nodes/types.ts';
import { options, read } from './data-helpers.ts';

describe('openDataSource', () => {
  // The user datasets (csv, images, text) have their own tests in user-data.test.ts.
  for (const dataset of BUILTIN_DATASETS) {
    for (const layout of dataset === 'mnist' ? (['flat', 'image'] as const) : (['flat'] as const)) {
      it(`${dataset}${dataset === 'mnist' ? ` (${layout})` : ''}: batches match the Data node's ports and inferred shapes`, async () => {
        const params = dataNode.params.parse({ dataset, layout, context: 12 });
        const source = await openDataSource(params, options(1));
        expect(source.dataset).toBe(dataset);
        const inferred = dataNode.infer!({ params, inputs: {} });
        const ports = portsOf(dataNode, params).outputs;
        for (const batch of [read(source.nextBatch(3)), read(source.validationBatch(0, 3))]) {
          expect(Object.keys(batch).sort()).toEqual(ports.map((p) => p.name).sort());
          for (const port of ports) {
            const got = batch[port.name]!;
            expect(got.shape).toEqual(inferred[port.name]!.map((d) => (d === 'B' ? 3 : d)));
            expect(got.dtype).toBe(port.type === 'tokens' ? 'int32' : 'float32');
          }
        }
        const text = dataset === 'names' || dataset === 'reverse-strings';
        expect(source.vocabulary !== undefined).toBe(text);
        expect(source.decode !== undefined).toBe(text);
        expect(source.trainingTexts !== undefined).toBe(dataset === 'names');
      });
    }
  }

  it('defaults the params the graph leaves out', async () => {
    const source = await openDataSource({ dataset: 'names' }, options(1));
    expect(read(source.nextBatch(2)).x!.shape).toEqual([2, 16]);
    const mnist = await openDataSource({ dataset: 'mnist' }, options(1));
    expect(read(mnist.nextBatch(2)).x!.shape).toEqual([2, 784]);
  });

  it('refuses bad options and bad requests', async () => {
    await expect(openDataSource({ dataset: 'rings' }, options(1, { validationSplit: 0.6 }))).rejects.toThrow(/validationSplit/);
    await expect(openDataSource({ dataset: 'rings' }, options(1.5))).rejects.toThrow(/seed/);
    await expect(openDataSource({ dataset: 'reverse-strings', context: 4 }, options(1))).rejects.toThrow(/context/);
    const source = await openDataSource({ dataset: 'rings' }, options(1));
    expect(() => source.nextBatch(0)).toThrow(RangeError);
    expect(() => source.nextBatch(2.5)).toThrow(RangeError);
    expect(() => source.validationBatch(2000, 1)).toThrow(RangeError);
    expect(() => source.validationBatch(-1, 1)).toThrow(RangeError);
    expect(() => source.validationBatch(0, 0)).toThrow(RangeError);
    expect(read(source.validationBatch(1999, 10)).x!.shape).toEqual([1, 2]);
  });

  it('has a held-out test split for MNIST only', async () => {
    expect((await openTestSource({ dataset: 'mnist', layout: 'image', range: 'signed' }, options(0)))!.size).toBe(1000);
    const held = (await openTestSource({ dataset: 'mnist', layout: 'image' }, options(0)))!;
    expect(read(held.batch(990, 20)).x!.shape).toEqual([10, 28, 28, 1]);
    for (const dataset of BUILTIN_DATASETS.filter((d) => d !== 'mnist')) expect(await openTestSource({ dataset }, options(0))).toBeUndefined();
  });
});

describe('readPublicAsset', () => {
  it('reads under public/, wherever the working directory is', async () => {
    expect(PUBLIC_DIR.replace(/\\/g, '/')).toMatch(/\/public\/$/);
    const cwd = process.cwd();
    process.chdir(PUBLIC_DIR);
    try {
      const bytes = await readPublicAsset('data/names.txt');
      expect(new TextDecoder().decode(bytes.subarray(0, 6))).toBe('aaren\n');
    } finally {
      process.chdir(cwd);
    }
  });

  it('says how to make a missing asset, and stays inside public/', async () => {
    await expect(readPublicAsset('data/nothing.bin')).rejects.toThrow(/npm run prepare/);
    await expect(readPublicAsset('../package.json')).rejects.toThrow(/leaves public/);
    await expect(readPublicAsset('/etc/hostname')).rejects.toThrow(/leaves public/);
  });
});
