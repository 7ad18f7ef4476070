import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodePng, writePng } from '../../src/cli/png.node.ts';
import { glyph, GLYPH_HEIGHT, GLYPH_WIDTH, renderSamples, type Raster } from '../../src/core/render/index.ts';

/** Where the pictures go, to look at them by eye. */
const OUT = process.env.GENCOMPOSER_RENDER_OUT ?? join(tmpdir(), 'gencomposer-render');

function roundTrip(raster: Raster, name: string): void {
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, name);
  writePng(path, raster);
  const decoded = PNG.sync.read(readFileSync(path));
  expect([decoded.width, decoded.height]).toEqual([raster.width, raster.height]);
  expect(decoded.data.equals(Buffer.from(raster.data.buffer, raster.data.byteOffset, raster.data.byteLength))).toBe(true);
}

/** Digit-like 28x28 images: the font's digits, upscaled and centred, with a little noise. */
function fakeDigits(count: number, signed: boolean): Float32Array {
  const out = new Float32Array(count * 784);
  let seed = 1;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 0.15;
  for (let n = 0; n < count; n++) {
    const bits = glyph(String(n % 10));
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const gx = Math.floor((x - 4) / 4), gy = Math.floor((y - 0) / 4);
        const ink = gx >= 0 && gx < GLYPH_WIDTH && gy >= 0 && gy < GLYPH_HEIGHT && x >= 4 ? bits[gy * GLYPH_WIDTH + gx]! : 0;
        const v = Math.min(1, ink + noise());
        out[n * 784 + y * 28 + x] = signed ? v * 2 - 1 : v;
      }
    }
  }
  return out;
}

describe('PNG encoding', () => {
  it('round-trips pixels exactly, alpha included', () => {
    const data = new Uint8ClampedArray(3 * 2 * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
    const png = encodePng({ width: 3, height: 2, data });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const decoded = PNG.sync.read(png);
    expect(new Uint8Array(decoded.data)).toEqual(new Uint8Array(data));
  });

  it('rejects a buffer of the wrong size', () => {
    expect(() => encodePng({ width: 2, height: 2, data: new Uint8ClampedArray(15) })).toThrow(/bytes/);
  });

  it('writes the sample pictures', () => {
    roundTrip(renderSamples({ values: fakeDigits(64, true), shape: [64, 28, 28, 1], range: [-1, 1] }), 'grid.png');

    const moons = (n: number, jitter: number) => {
      const out = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        const t = (Math.PI * (i % (n / 2))) / (n / 2);
        const upper = i < n / 2;
        const wobble = jitter * Math.sin(i * 12.9898);
        out[2 * i] = (upper ? Math.cos(t) : 1 - Math.cos(t)) + wobble;
        out[2 * i + 1] = (upper ? Math.sin(t) : 0.5 - Math.sin(t)) + jitter * Math.cos(i * 78.233);
      }
      return out;
    };
    roundTrip(renderSamples({ family: 'flow', values: moons(300, 0.15), shape: [300, 2], reference: moons(1000, 0.05) }), 'scatter.png');

    const names = ['emma', 'olivia', 'ava', 'isabella', 'sophia', 'mia', 'charlotte', 'amelia', 'harper', 'evelyn'];
    const texts = Array.from({ length: 40 }, (_, i) => names[i % names.length]!);
    texts.push('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz', "0123456789 .,:-_'()/=+% é");
    roundTrip(renderSamples({ texts }), 'text.png');
  });
});
