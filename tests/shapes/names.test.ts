/**
 * Module port names, node ids and module ids that Object.prototype also has
 * (`__proto__`, `toString`, ...) analyse like any other name.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { zGraphDocument } from '../../src/core/graph/schema.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { codes, makeDocument } from '../helpers.ts';

const at = { position: { x: 0, y: 0 } };

/** Noise → a placed module (input port `input`, output port `output`) → Dense → loss. */
function moduleDocument(names: { module: string; input: string; output: string; instance: string; inner: string }) {
  const top = makeDocument(
    [
      { id: 'z', kind: 'Noise', params: { shape: [4] } },
      { id: names.instance, kind: 'Module', params: { module: names.module } },
      { id: 'fc', kind: 'Dense', params: { units: 4 } },
      { id: 'rec', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
    ],
    [`z.z->${names.instance}.${names.input}`, `${names.instance}.${names.output}->fc.x`, 'fc.y->rec.prediction', 'z.z->rec.target'],
  );
  return zGraphDocument.parse({
    ...top,
    modules: [
      {
        id: names.module,
        name: 'M',
        nodes: [
          { id: 'in', kind: 'ModuleInput', params: { name: names.input }, ...at },
          { id: names.inner, kind: 'Dense', params: { units: 3 }, ...at },
          { id: 'out', kind: 'ModuleOutput', params: { name: names.output }, ...at },
        ],
        edges: [
          { id: 'e1', source: { node: 'in', port: 'x' }, target: { node: names.inner, port: 'x' } },
          { id: 'e2', source: { node: names.inner, port: 'y' }, target: { node: 'out', port: 'x' } },
        ],
      },
    ],
  });
}

const plain = { module: 'm', input: 'a', output: 'b', instance: 'inst', inner: 'fc1' };

describe('module ports with names Object.prototype also has', () => {
  const cases = [
    { module: 'm', input: '__proto__', output: 'toString', instance: 'inst', inner: 'fc1' },
    { module: 'constructor', input: 'valueOf', output: '__proto__', instance: 'toString', inner: 'hasOwnProperty' },
    { module: '__proto__', input: 'constructor', output: 'prototype', instance: '__proto__', inner: '__proto__' },
  ];
  const expected = analyze(moduleDocument(plain));

  it('the plain document analyses clean', () => {
    expect(codes(expected)).toEqual([]);
  });

  for (const names of cases) {
    it(`analyses and compiles like plain names: ${JSON.stringify(names)}`, () => {
      const analysis = analyze(moduleDocument(names));
      expect(codes(analysis)).toEqual([]);
      const info = analysis.nodes.get(names.instance)!;
      expect(Object.keys(info.inputs)).toEqual([names.input]);
      expect(Object.keys(info.outputs)).toEqual([names.output]);
      expect(info.outputs[names.output]!.shape).toEqual(expected.nodes.get('inst')!.outputs.b!.shape);
      expect(Object.keys(info.outputKeys)).toEqual([names.output]);
      expect(info.paramCount).toBe(expected.nodes.get('inst')!.paramCount);
      expect(analysis.parameterCount).toBe(expected.parameterCount);
      expect(analysis.modules.get(names.module)!.get(names.inner)!.outputs.y!.shape).toEqual(['B', 3]);
      const compiled = compile(moduleDocument(names));
      expect(compiled.ok).toBe(true);
      if (compiled.ok) expect(compiled.program.variables.map((v) => v.shape)).toEqual((compile(moduleDocument(plain)) as { ok: true; program: { variables: { shape: number[] }[] } }).program.variables.map((v) => v.shape));
    });
  }

  it('an unconnected module input named toString is reported as not connected', () => {
    const doc = moduleDocument({ ...plain, input: 'toString' });
    const cut = { ...doc, edges: doc.edges.filter((e) => e.target.port !== 'toString') };
    expect(codes(analyze(cut))).toContain('GC102@inst.toString');
  });

  it('a port a node does not have, named __proto__ or constructor, is a dangling edge like any other', () => {
    const danglingFrom = (port: string) =>
      codes(analyze(makeDocument([{ id: 'z', kind: 'Noise', params: { shape: [4] } }, { id: 'fc', kind: 'Dense', params: { units: 2 } }], [`z.${port}->fc.x`])));
    expect(danglingFrom('nope')).toContain('GC103@fc');
    for (const port of ['__proto__', 'constructor', 'toString']) expect(danglingFrom(port)).toEqual(danglingFrom('nope'));
  });
});
