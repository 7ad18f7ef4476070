/**
 * Tensor shapes with a symbolic batch axis.
 *
 * `'B'` stands for the batch size, which is only known when a program runs;
 * every other dimension is a positive integer fixed by the graph.
 */
export type Dim = number | 'B';
export type Shape = readonly Dim[];

export const BATCH: Dim = 'B';

/** The largest rank the compiled program may use: WebGPU kernels break above it. */
export const MAX_RANK = 4;

export function formatShape(shape: Shape | undefined): string {
  if (!shape) return '?';
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Number of elements per batch item (the batch axis counts as 1). */
export function elementsPerItem(shape: Shape): number {
  let n = 1;
  for (const d of shape) if (d !== 'B') n *= d;
  return n;
}

/** Elements for a concrete batch size. */
export function elementsAt(shape: Shape, batch: number): number {
  let n = 1;
  for (const d of shape) n *= d === 'B' ? batch : d;
  return n;
}

/** Replaces the symbolic batch with a concrete size. */
export function concrete(shape: Shape, batch: number): number[] {
  return shape.map((d) => (d === 'B' ? batch : d));
}

/** NumPy-style broadcasting; undefined when the shapes do not broadcast. */
export function broadcastShapes(a: Shape, b: Shape): Shape | undefined {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db) out.push(da);
    else if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else return undefined;
  }
  return out;
}

/** Resolves a possibly negative axis against a rank; undefined when out of range. */
export function normalizeAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? rank + axis : axis;
  return a >= 0 && a < rank ? a : undefined;
}
