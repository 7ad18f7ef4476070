import { describe, expect, it } from 'vitest';
import { freeSpot } from '../../src/ui/canvas/commands.ts';
import { portForWire } from '../../src/ui/canvas/to-flow.ts';
import { preset } from './ui-fixtures.ts';

describe('where a new node goes', () => {
  const taken = [
    { x: 0, y: 0, width: 200, height: 110 },
    { x: 240, y: 0, width: 200, height: 110 },
  ];
  const overlaps = (p: { x: number; y: number }) => taken.some((b) => p.x < b.x + b.width && b.x < p.x + 200 && p.y < b.y + b.height && b.y < p.y + 110);

  it('stays where it was asked for when that spot is free', () => {
    expect(freeSpot({ x: 0, y: 400 }, taken)).toEqual({ x: 0, y: 400 });
  });

  it('moves to the nearest free spot when it would cover a node', () => {
    const wanted = { x: 20, y: 10 };
    const spot = freeSpot(wanted, taken);
    expect(overlaps(spot)).toBe(false);
    // Near: within a few steps of where it was asked for, not at the far end of the search.
    expect(Math.hypot(spot.x - wanted.x, spot.y - wanted.y)).toBeLessThan(200);
  });
});

describe('a wire dropped on the canvas', () => {
  const doc = preset('vae');
  const fromOutput = { node: 'decoder', port: 'x', side: 'out', type: 'tensor' } as const;
  const fromInput = { node: 'reconstruction', port: 'target', side: 'in', type: 'tensor' } as const;

  it("goes into a new node's first input of its type, or comes from its first output of that type", () => {
    expect(portForWire(doc, { kind: 'Dense' }, fromOutput)).toBe('x');
    expect(portForWire(doc, { kind: 'Dense' }, fromInput)).toBe('y');
    expect(portForWire(doc, { kind: 'Diffuse' }, fromOutput)).toBe('x0');
  });

  it('finds no port on a kind that has none of its type', () => {
    expect(portForWire(doc, { kind: 'NoiseSchedule' }, fromOutput)).toBeUndefined();
    expect(portForWire(doc, { kind: 'Data' }, fromOutput)).toBeUndefined();
    expect(portForWire(doc, { kind: 'KLDivergence' }, { ...fromOutput, type: 'loss' })).toBeUndefined();
  });
});
