import { beforeAll, describe, it } from 'vitest';
import { initNodeBackend } from '../../src/core/train/backends/node.ts';
import { backendIs, PRESETS, trainPresetBriefly } from './preset-training.ts';

// WebGPU here runs on Mesa's software rasterizer (no GPU in CI): small batches keep it quick.
describe('presets train on webgpu (Dawn)', () => {
  beforeAll(async () => {
    await initNodeBackend('webgpu');
  });
  for (const name of PRESETS) {
    it(`${name}: 20 steps lower its objectives; its samplers give finite samples`, { timeout: 300_000 }, async () => {
      backendIs('webgpu');
      await trainPresetBriefly(name, 8);
    });
  }
});
