/** Which reconstructions a run pictures: reconstruction losses of images a Data node reads, by the graph's roles. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, type Program } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { reconstructedImages } from '../../src/core/train/roles.ts';

function preset(name: string): Program {
  const loaded = loadText(readFileSync(`graph-presets/${name}.json`, 'utf8'));
  if (!loaded.ok) throw new Error(name);
  const compiled = compile(loaded.document);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return compiled.program;
}

describe('reconstructed images', () => {
  it('an autoencoder of MNIST images (flat or 28×28×1) has them, shown through the sigmoid of its logits', () => {
    expect(reconstructedImages(preset('vae')).map(({ loss, logits }) => ({ loss, logits }))).toEqual([{ loss: 'reconstruction', logits: true }]);
    expect(reconstructedImages(preset('vq-vae')).map(({ loss, logits }) => ({ loss, logits }))).toEqual([{ loss: 'reconstruction', logits: true }]);
  });

  it('graphs that reconstruct no image read from data have none', () => {
    for (const name of ['transformer', 'gan', 'flow', 'diffusion']) expect(reconstructedImages(preset(name)), name).toEqual([]);
  });
});
