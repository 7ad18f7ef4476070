import { beforeAll, describe, it } from 'vitest';
import { initNodeBackend } from '../../src/core/train/backends/node.ts';
import { backendIs, PRESETS, trainPresetBriefly } from './preset-training.ts';

describe('presets train on wasm', () => {
  beforeAll(async () => {
    await initNodeBackend('wasm');
  });
  for (const name of PRESETS) {
    it(`${name}: 20 steps lower its objectives; its samplers give finite samples`, async () => {
      backendIs('wasm');
      await trainPresetBriefly(name, 16);
    });
  }
});
