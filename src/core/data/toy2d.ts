/**
 * 2D toy distributions, generated from the graph's seed: a pool of
 * TOY_POOL_SIZE i.i.d. points per dataset and seed, the validation split
 * carved out of it. x is [B, 2] float32. The constructions:
 *
 * - two-moons: scikit-learn's make_moons with noise 0.05 (the upper moon
 *   (cos t, sin t) and the lower moon (1 - cos t, 0.5 - sin t), t uniform in
 *   [0, pi], the moon by a fair coin), then standardized per axis with the
 *   construction's exact mean and standard deviation (TWO_MOONS_MEAN,
 *   TWO_MOONS_STD): zero mean and unit variance, both axes within about ±1.9.
 * - eight-gaussians: the mode-coverage benchmark of the GAN literature
 *   (Unrolled GAN, Metz et al. 2017; VEEGAN; PacGAN): 8 equally likely
 *   Gaussians with std 0.02 centred on a circle of radius 2, at angles
 *   k * 45 degrees (EIGHT_GAUSSIANS_CENTRES).
 * - swiss-roll: as in FFJORD (Grathwohl et al. 2019): scikit-learn's
 *   make_swiss_roll with noise 1.0, its (x, z) plane, divided by 5:
 *   t = 1.5 pi (1 + 2u), (t cos t, t sin t) + N(0, 1) per axis, / 5; about ±3.
 * - checkerboard: as in FFJORD: uniform over 8 of the 16 squares (side 2)
 *   of a 4x4 board covering [-4, 4]^2, those where floor(x/2) + floor(y/2) is even.
 * - rings: as in FFJORD: 4 concentric circles of radius 3, 2.25, 1.5, 0.75,
 *   equally likely, angle uniform, plus N(0, 0.08^2) per axis.
 */
import type { DatasetName } from './datasets.ts';
import type { Rng } from '../base/random.ts';
import type { DataOptions, DataSource } from './source.ts';
import { checkOptions, range, splitIndices, streamRng, TableSource } from './table.ts';

/** Points in each dataset's pool, validation included. */
export const TOY_POOL_SIZE = 20_000;

export const TWO_MOONS_NOISE = 0.05;
/** E[x] = 1/2; E[y] = 1/4. */
export const TWO_MOONS_MEAN = [0.5, 0.25] as const;
/** Var x = 3/4 + noise^2; Var y = 5/8 - 1/pi - 1/16 + noise^2. */
export const TWO_MOONS_STD = [Math.sqrt(0.75 + TWO_MOONS_NOISE ** 2), Math.sqrt(0.625 - 1 / Math.PI - 0.0625 + TWO_MOONS_NOISE ** 2)] as const;

export const EIGHT_GAUSSIANS_RADIUS = 2;
export const EIGHT_GAUSSIANS_STD = 0.02;
/** The 8 modes, counter-clockwise from (2, 0). */
export const EIGHT_GAUSSIANS_CENTRES: readonly (readonly [number, number])[] = Array.from({ length: 8 }, (_, k) => {
  const a = (k * Math.PI) / 4;
  return [EIGHT_GAUSSIANS_RADIUS * Math.cos(a), EIGHT_GAUSSIANS_RADIUS * Math.sin(a)] as const;
});

export const RINGS_RADII = [3, 2.25, 1.5, 0.75] as const;
export const RINGS_NOISE = 0.08;
export const SWISS_ROLL_NOISE = 1;

export type Toy2DName = 'two-moons' | 'eight-gaussians' | 'swiss-roll' | 'checkerboard' | 'rings';

function samplePoint(dataset: Toy2DName, rng: Rng): [number, number] {
  switch (dataset) {
    case 'two-moons': {
      const t = rng.uniform() * Math.PI;
      const upper = rng.uniform() < 0.5;
      const x = (upper ? Math.cos(t) : 1 - Math.cos(t)) + TWO_MOONS_NOISE * rng.normal();
      const y = (upper ? Math.sin(t) : 0.5 - Math.sin(t)) + TWO_MOONS_NOISE * rng.normal();
      return [(x - TWO_MOONS_MEAN[0]) / TWO_MOONS_STD[0], (y - TWO_MOONS_MEAN[1]) / TWO_MOONS_STD[1]];
    }
    case 'eight-gaussians': {
      const [cx, cy] = EIGHT_GAUSSIANS_CENTRES[rng.integer(8)]!;
      return [cx + EIGHT_GAUSSIANS_STD * rng.normal(), cy + EIGHT_GAUSSIANS_STD * rng.normal()];
    }
    case 'swiss-roll': {
      const t = 1.5 * Math.PI * (1 + 2 * rng.uniform());
      return [(t * Math.cos(t) + SWISS_ROLL_NOISE * rng.normal()) / 5, (t * Math.sin(t) + SWISS_ROLL_NOISE * rng.normal()) / 5];
    }
    case 'checkerboard': {
      const x1 = rng.uniform() * 4 - 2;
      const floorMod2 = ((Math.floor(x1) % 2) + 2) % 2;
      const x2 = rng.uniform() - rng.integer(2) * 2 + floorMod2;
      return [x1 * 2, x2 * 2];
    }
    case 'rings': {
      const r = RINGS_RADII[rng.integer(RINGS_RADII.length)]!;
      const a = rng.uniform() * 2 * Math.PI;
      return [r * Math.cos(a) + RINGS_NOISE * rng.normal(), r * Math.sin(a) + RINGS_NOISE * rng.normal()];
    }
  }
}

/** `count` points, [x0, y0, x1, y1, ...]. */
export function sampleToy2D(dataset: Toy2DName, count: number, rng: Rng): Float32Array {
  const out = new Float32Array(2 * count);
  for (let i = 0; i < count; i++) {
    const [x, y] = samplePoint(dataset, rng);
    out[2 * i] = x;
    out[2 * i + 1] = y;
  }
  return out;
}

export function isToy2D(dataset: DatasetName): dataset is Toy2DName {
  return dataset === 'two-moons' || dataset === 'eight-gaussians' || dataset === 'swiss-roll' || dataset === 'checkerboard' || dataset === 'rings';
}

export function openToy2D(dataset: Toy2DName, options: DataOptions): DataSource {
  checkOptions(options);
  const points = sampleToy2D(dataset, TOY_POOL_SIZE, streamRng(options.seed, `pool:${dataset}`));
  const split = splitIndices(range(TOY_POOL_SIZE), options.validationSplit, streamRng(options.seed, 'split'));
  return new TableSource({ dataset, columns: { x: { dtype: 'float32', shape: [2], values: points } }, split }, options);
}
