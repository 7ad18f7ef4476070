import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type NamedTensor } from '../../src/core/export/safetensors.ts';

const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

const TENSORS: NamedTensor[] = [
  { name: 'layer.weight', dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2, 0.5, 3.25, -0, 1e-3]) },
  { name: 'embed', dtype: 'F32', shape: [3], data: Float32Array.from([7, 8, 9]) },
  { name: 'steps', dtype: 'I32', shape: [], data: Int32Array.from([-12]) },
];

/** A header written by hand: its JSON, padded with spaces to a multiple of 8 bytes. */
function fileWithHeader(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + data.length).fill(0x20, 8, 8 + padded);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.set(data, 8 + padded);
  return out;
}

describe('safetensors', () => {
  it('lays out a file by hand: length, JSON header in name order padded to 8 bytes, little-endian data', () => {
    const bytes = encodeSafetensors([{ name: 'b', dtype: 'F32', shape: [2], data: Float32Array.from([1, -2]) }, { name: 'a', dtype: 'I32', shape: [1], data: Int32Array.from([258]) }], { format: 'pt' });
    const header = '{"__metadata__":{"format":"pt"},"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    const padded = Math.ceil(header.length / 8) * 8;
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true))).toBe(padded);
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + padded))).toBe(header.padEnd(padded, ' '));
    // 258 = 0x102 little-endian; 1.0 = 0x3f800000; −2.0 = 0xc0000000.
    expect([...bytes.subarray(8 + padded)]).toEqual([2, 1, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
  });

  it('reads back what it writes', () => {
    const { tensors, metadata } = decodeSafetensors(encodeSafetensors(TENSORS, { source: 'gencomposer' }));
    expect(metadata).toEqual({ source: 'gencomposer' });
    const byName = new Map(tensors.map((t) => [t.name, t]));
    for (const t of TENSORS) {
      const read = byName.get(t.name)!;
      expect(read.dtype).toBe(t.dtype);
      expect(read.shape).toEqual(t.shape);
      expect([...read.data]).toEqual([...t.data]);
    }
  });

  it.skipIf(!hasTorch)('PyTorch reads the same tensors from the bytes', () => {
    // The reference parses the format from its definition, independently of our reader.
    const script = `
import sys, json, struct, torch
raw = sys.stdin.buffer.read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
out = {}
for name, e in header.items():
    if name == '__metadata__':
        continue
    b, end = e['data_offsets']
    dtype = {'F32': torch.float32, 'I32': torch.int32}[e['dtype']]
    t = torch.frombuffer(bytearray(data[b:end]), dtype=dtype).reshape(e['shape'])
    out[name] = {'shape': list(t.shape), 'values': t.reshape(-1).tolist()}
print(json.dumps(out))
`;
    const run = spawnSync(PYTHON, ['-c', script], { input: encodeSafetensors(TENSORS), encoding: 'buffer' });
    expect(run.status, run.stderr.toString()).toBe(0);
    const read = JSON.parse(run.stdout.toString()) as Record<string, { shape: number[]; values: number[] }>;
    for (const t of TENSORS) {
      expect(read[t.name]!.shape).toEqual(t.shape);
      expect(read[t.name]!.values).toEqual([...t.data]);
    }
  });

  it('refuses files that are not safetensors, saying why', () => {
    const data = new Uint8Array(8);
    const entry = (offsets: [number, number], dtype = 'F32', shape = [1]) => ({ dtype, shape, data_offsets: offsets });
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(5), /too short/],
      [fileWithHeader({}, new Uint8Array()).fill(0xff, 0, 8), /header claims/],
      [fileWithHeader([], new Uint8Array()), /not a JSON object/],
      [fileWithHeader({ a: entry([0, 4]), b: entry([2, 6]) }, data), /"b" starts at byte 2 where 4 was due/],
      [fileWithHeader({ a: entry([0, 4]), b: entry([6, 10]) }, new Uint8Array(10)), /"b" starts at byte 6 where 4 was due/],
      [fileWithHeader({ a: entry([0, 4]) }, data), /cover 4 of the 8 bytes/],
      [fileWithHeader({ a: entry([0, 16]) }, data), /outside the 8 bytes of data/],
      [fileWithHeader({ a: entry([0, 8], 'F32', [3]) }, data), /needs 12 bytes, its range holds 8/],
      [fileWithHeader({ a: entry([0, 8], 'F16', [4]) }, data), /dtype F16/],
      [fileWithHeader({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }, data), /needs a dtype/],
      [fileWithHeader({ __metadata__: { n: 1 } }, new Uint8Array()), /"n" is not a string/],
    ];
    for (const [bytes, reason] of cases) {
      expect(() => decodeSafetensors(bytes, 'w.safetensors')).toThrow(SafetensorsError);
      expect(() => decodeSafetensors(bytes, 'w.safetensors')).toThrow(reason);
    }
    expect(() => decodeSafetensors(new Uint8Array(5), 'w.safetensors')).toThrow(/^w\.safetensors: /);
  });

  it('any bytes give tensors or a SafetensorsError, never another error', () => {
    const valid = encodeSafetensors(TENSORS);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), (random, at, value) => {
        for (const bytes of [random, Uint8Array.from(valid, (b, i) => (i === at ? value : b))]) {
          try {
            decodeSafetensors(bytes);
          } catch (error) {
            if (!(error instanceof SafetensorsError)) throw error;
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses to write a tensor whose values do not fill its shape, or a name twice', () => {
    expect(() => encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }])).toThrow(/3 values for shape \[2, 2\]/);
    expect(() => encodeSafetensors([TENSORS[1]!, TENSORS[1]!])).toThrow(/"embed" is reserved or used twice/);
  });
});
