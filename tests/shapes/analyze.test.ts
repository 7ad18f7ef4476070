import { describe, expect, it } from 'vitest';
import { zGraphDocument } from '../../src/core/graph/schema.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { DIAGNOSTICS } from '../../src/core/base/diagnostics.ts';
import { codes, makeDocument } from '../helpers.ts';

const z4 = { id: 'z', kind: 'Noise', params: { shape: [4] } };

describe('shape analysis', () => {
  it('gives every port a shape with a symbolic batch', () => {
    const analysis = analyze(makeDocument([z4, { id: 'fc', kind: 'Dense', params: { units: 3 } }, { id: 'r', kind: 'Reshape', params: { shape: [3, 1] } }], ['z.z->fc.x', 'fc.y->r.x']));
    expect(analysis.nodes.get('fc')!.inputs.x!.shape).toEqual(['B', 4]);
    expect(analysis.nodes.get('r')!.outputs.y!.shape).toEqual(['B', 3, 1]);
    expect(analysis.parameterCount).toBe(15);
    expect(analysis.ops.map((op) => op.id)).toEqual(['z', 'fc', 'r']);
  });

  it('GC101 unknown kind, without cascading errors downstream', () => {
    const analysis = analyze(makeDocument([{ id: 'q', kind: 'Quantum' }, { id: 'fc', kind: 'Dense' }], ['q.y->fc.x']));
    expect(codes(analysis)).toEqual(['GC101@q', 'GC202@']);
  });

  it('GC102 missing required input', () => {
    expect(codes(analyze(makeDocument([{ id: 'fc', kind: 'Dense' }])))).toEqual(['GC102@fc.x', 'GC202@']);
  });

  it('GC103 dangling edges to missing nodes and ports', () => {
    expect(codes(analyze(makeDocument([z4, { id: 'fc', kind: 'Dense' }], ['z.z->fc.x', 'ghost.y->fc.x'])))).toContain('GC103@fc');
    expect(codes(analyze(makeDocument([z4, { id: 'fc', kind: 'Dense' }], ['z.nope->fc.x'])))).toContain('GC103@fc');
    expect(codes(analyze(makeDocument([z4, { id: 'fc', kind: 'Dense' }], ['z.z->fc.nope', 'z.z->fc.x'])))).toContain('GC103@fc');
  });

  it('GC104 two edges into one input', () => {
    const analysis = analyze(makeDocument([z4, { id: 'z2', kind: 'Noise' }, { id: 'fc', kind: 'Dense' }], ['z.z->fc.x', 'z2.z->fc.x']));
    expect(codes(analysis)).toContain('GC104@fc.x');
  });

  it('GC105 names the nodes of a cycle and only them', () => {
    const analysis = analyze(
      makeDocument(
        [z4, { id: 'a', kind: 'Add' }, { id: 'b', kind: 'Activation' }, { id: 'after', kind: 'Activation' }],
        ['z.z->a.a', 'b.y->a.b', 'a.y->b.x', 'b.y->after.x'],
      ),
    );
    const cycle = analysis.diagnostics.filter((d) => d.code === 'GC105');
    expect(cycle.map((d) => d.node).sort()).toEqual(['a', 'b']);
    expect(cycle[0]!.message).toMatch(/a → b|b → a/);
  });

  it('GC106 names both shapes', () => {
    const analysis = analyze(makeDocument([z4, { id: 'z3', kind: 'Noise', params: { shape: [3] } }, { id: 'add', kind: 'Add' }], ['z.z->add.a', 'z3.z->add.b']));
    const d = analysis.diagnostics.find((x) => x.code === 'GC106')!;
    expect(d).toMatchObject({ node: 'add', port: 'b' });
    expect(d.message).toContain('[B, 4]');
    expect(d.message).toContain('[B, 3]');
  });

  it('GC107 param out of range names the param', () => {
    const analysis = analyze(makeDocument([z4, { id: 'fc', kind: 'Dense', params: { units: -2 } }], ['z.z->fc.x']));
    const d = analysis.diagnostics.find((x) => x.code === 'GC107')!;
    expect(d.node).toBe('fc');
    expect(d.message).toContain('"units"');
  });

  it('GC110 port type mismatch', () => {
    const analysis = analyze(
      makeDocument([{ id: 'd', kind: 'Data', params: { dataset: 'mnist' } }, { id: 'fc', kind: 'Dense' }], ['d.y->fc.x']),
    );
    expect(codes(analysis)).toContain('GC110@fc.x');
    // The input is fed, if by the wrong type: no second complaint that it is open.
    expect(codes(analysis)).not.toContain('GC102@fc.x');
  });

  it('GC108 module that contains itself, and GC111 unknown module', () => {
    const doc = zGraphDocument.parse({
      ...makeDocument([z4, { id: 'inst', kind: 'Module', params: { module: 'a' } }, { id: 'lost', kind: 'Module', params: { module: 'nowhere' } }], ['z.z->inst.x']),
      modules: [
        {
          id: 'a',
          name: 'A',
          nodes: [
            { id: 'in', kind: 'ModuleInput', params: { name: 'x' }, position: { x: 0, y: 0 } },
            { id: 'inner', kind: 'Module', params: { module: 'b' }, position: { x: 0, y: 0 } },
          ],
          edges: [{ id: 'e', source: { node: 'in', port: 'x' }, target: { node: 'inner', port: 'x' } }],
        },
        {
          id: 'b',
          name: 'B',
          nodes: [
            { id: 'in', kind: 'ModuleInput', params: { name: 'x' }, position: { x: 0, y: 0 } },
            { id: 'back', kind: 'Module', params: { module: 'a' }, position: { x: 0, y: 0 } },
          ],
          edges: [{ id: 'e', source: { node: 'in', port: 'x' }, target: { node: 'back', port: 'x' } }],
        },
      ],
    });
    const analysis = analyze(doc);
    const self = analysis.diagnostics.find((d) => d.code === 'GC108')!;
    expect(self.module).toBe('b');
    expect(self.node).toBe('back');
    expect(self.message).toContain('a → b → a');
    expect(codes(analysis)).toContain('GC111@lost');
  });

  it('GC109 a graph over the memory budget, before anything is allocated', () => {
    const doc = makeDocument([z4, { id: 'huge', kind: 'Dense', params: { units: 65536 } }, { id: 'huger', kind: 'Dense', params: { units: 65536 } }], ['z.z->huge.x', 'huge.y->huger.x']);
    const analysis = analyze(doc);
    const d = analysis.diagnostics.find((x) => x.code === 'GC109')!;
    expect(d.node).toBe('huger');
    expect(analysis.memoryBytes).toBeGreaterThan(4096 * 1024 * 1024);
  });

  it('reports problems inside a module on the module node, once for all instances', () => {
    const doc = zGraphDocument.parse({
      ...makeDocument(
        [z4, { id: 'i1', kind: 'Module', params: { module: 'm' } }, { id: 'i2', kind: 'Module', params: { module: 'm' } }],
        ['z.z->i1.x', 'z.z->i2.x'],
      ),
      modules: [
        {
          id: 'm',
          name: 'M',
          nodes: [
            { id: 'in', kind: 'ModuleInput', params: { name: 'x' }, position: { x: 0, y: 0 } },
            { id: 'bad', kind: 'Reshape', params: { shape: [5] } },
            { id: 'out', kind: 'ModuleOutput', params: { name: 'y' }, position: { x: 0, y: 0 } },
          ].map((n) => ({ position: { x: 0, y: 0 }, ...n })),
          edges: [
            { id: 'e1', source: { node: 'in', port: 'x' }, target: { node: 'bad', port: 'x' } },
            { id: 'e2', source: { node: 'bad', port: 'y' }, target: { node: 'out', port: 'x' } },
          ],
        },
      ],
    });
    expect(codes(analyze(doc))).toEqual(['GC106@m:bad.x', 'GC202@']);
  });

  it('checks training objectives against the loss nodes', () => {
    const base = makeDocument(
      [z4, { id: 'fc', kind: 'Dense', params: { units: 4 } }, { id: 'rec', kind: 'ReconstructionLoss', params: { loss: 'mse', objective: 'main' } }],
      ['z.z->fc.x', 'fc.y->rec.prediction', 'z.z->rec.target'],
    );
    expect(codes(analyze(base))).toEqual([]);
    const wrong = zGraphDocument.parse({ ...base, training: { objectives: [{ id: 'other', updates: ['nowhere'] }] } });
    expect(codes(analyze(wrong)).sort()).toEqual(['GC201@', 'GC201@', 'GC203@rec']);
    const d = analyze(wrong).diagnostics.find((x) => x.message.includes('nowhere'))!;
    expect(d.path).toBe('training.objectives[0].updates');
  });

  it('every diagnostic code has a message that reads as a sentence', () => {
    for (const [code, entry] of Object.entries(DIAGNOSTICS)) {
      expect(code).toMatch(/^GC\d{3}$/);
      expect(entry.text({}).trim()).toMatch(/\.$/);
    }
  });
});
