import { describe, expect, it } from 'vitest';
import { describeParams } from '../../src/core/nodes/describe.ts';
import { getNodeDefinition } from '../../src/core/nodes/registry.ts';
import { humanize, paramHint, paramIssue, parseIntList, parseNumber, shownParams } from '../../src/ui/inspector/param-values.ts';

describe('inspector values', () => {
  it('reads numbers, whole numbers and empty optional fields', () => {
    expect(parseNumber('12', { integer: true, optional: false })).toEqual({ ok: true, value: 12 });
    expect(parseNumber(' 1e-3 ', { integer: false, optional: false })).toEqual({ ok: true, value: 0.001 });
    expect(parseNumber('1.5', { integer: true, optional: false }).ok).toBe(false);
    expect(parseNumber('', { integer: true, optional: false }).ok).toBe(false);
    expect(parseNumber('', { integer: true, optional: true })).toEqual({ ok: true, value: undefined });
    expect(parseNumber('abc', { integer: false, optional: false }).ok).toBe(false);
  });

  it('reads comma-separated whole numbers', () => {
    expect(parseIntList('400, 200')).toEqual({ ok: true, value: [400, 200] });
    expect(parseIntList('28 28 1')).toEqual({ ok: true, value: [28, 28, 1] });
    expect(parseIntList('')).toEqual({ ok: true, value: [] });
    const bad = parseIntList('400, x');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/"x" is not a whole number/);
  });

  it("checks a value against the node's schema, naming only that param's problem", () => {
    const encoder = getNodeDefinition('Encoder')!;
    const params = { architecture: 'mlp', hidden: [400], latent: 20, activation: 'relu' };
    expect(paramIssue(encoder, params, 'latent', 8)).toBeUndefined();
    expect(paramIssue(encoder, params, 'latent', 0)).toMatch(/>=\s*1|too small/i);
    expect(paramIssue(encoder, params, 'hidden', [400, 0])).toMatch(/item 1/);
    // Another broken param does not make this one look wrong.
    expect(paramIssue(encoder, { ...params, activation: 'nope' }, 'latent', 8)).toBeUndefined();
  });

  it('describes a field: range, default, list hint; labels in words', () => {
    const dense = describeParams(getNodeDefinition('Dense')!);
    expect(paramHint(dense.find((d) => d.name === 'units')!)).toBe('1 to 65536 · default 128');
    const decoder = describeParams(getNodeDefinition('Decoder')!);
    expect(paramHint(decoder.find((d) => d.name === 'outputShape')!)).toBe('comma-separated · default [784]');
    expect(humanize('outputShape')).toBe('Output shape');
    expect(humanize('kernelInit')).toBe('Kernel init');
  });

  it("shows a Data node only the params its dataset reads, and every other node all of its params", () => {
    const data = getNodeDefinition('Data')!;
    const shown = (params: Record<string, unknown>) => shownParams('Data', params, describeParams(data)).map((d) => d.name);
    expect(shown({ dataset: 'two-moons', context: 40, labels: 'last-column' })).toEqual(['dataset']);
    expect(shown({})).toEqual(['dataset', 'layout', 'range']);
    expect(shown({ dataset: 'names' })).toEqual(['dataset', 'context']);
    expect(shown({ dataset: 'csv', file: 'a.csv' })).toEqual(['dataset', 'file', 'columns', 'header', 'labels']);
    expect(shown({ dataset: 'images', file: 'a.zip' })).toEqual(['dataset', 'layout', 'range', 'file', 'labels', 'height', 'width', 'channels']);
    const encoder = getNodeDefinition('Encoder')!;
    expect(shownParams('Encoder', {}, describeParams(encoder))).toEqual(describeParams(encoder));
  });
});
