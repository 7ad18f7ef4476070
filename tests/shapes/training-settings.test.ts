/** Training settings checked against one another and against the machine: duplicate ids, module ports, the memory limit. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { loadText } from '../../src/core/graph/load.ts';
import { zGraphDocument, type GraphDocument } from '../../src/core/graph/schema.ts';
import { analyze, DEFAULT_MEMORY_LIMIT_MB } from '../../src/core/shapes/analyze.ts';
import { codes, makeDocument } from '../helpers.ts';

const fixture = (name: string): GraphDocument => {
  const loaded = loadText(readFileSync(`tests/fixtures/broken/${name}`, 'utf8'));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.document;
};

const regression = (training: Record<string, unknown>) =>
  zGraphDocument.parse({
    ...makeDocument(
      [
        { id: 'z', kind: 'Noise', params: { shape: [4] } },
        { id: 'fc', kind: 'Dense', params: { units: 4 } },
        { id: 'rec', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
      ],
      ['z.z->fc.x', 'fc.y->rec.prediction', 'z.z->rec.target'],
    ),
    training,
  });

describe('objective ids', () => {
  it('GC207: a second objective with the same id is an error at its id, not a silent replacement', () => {
    const analysis = analyze(fixture('gc207-duplicate-objective-id.json'));
    const found = analysis.diagnostics.filter((d) => d.code === 'GC207');
    expect(found).toEqual([{ code: 'GC207', severity: 'error', message: 'The objective id "main" is used more than once; each objective needs its own id.', path: 'training.objectives[1].id' }]);
    expect(compile(fixture('gc207-duplicate-objective-id.json')).ok).toBe(false);
  });

  it('distinct ids, including ones Object.prototype has, are fine', () => {
    const doc = regression({ objectives: [{ id: 'main' }, { id: '__proto__' }, { id: 'constructor' }] });
    expect(codes(analyze(doc)).filter((c) => c.startsWith('GC207'))).toEqual([]);
    const twice = regression({ objectives: [{ id: 'main' }, { id: '__proto__' }, { id: '__proto__' }] });
    expect(analyze(twice).diagnostics.filter((d) => d.code === 'GC207').map((d) => d.path)).toEqual(['training.objectives[2].id']);
  });
});

describe('module port names', () => {
  const withPorts = (ports: { kind: 'ModuleInput' | 'ModuleOutput'; name: string }[]) =>
    zGraphDocument.parse({
      ...makeDocument([{ id: 'z', kind: 'Noise', params: { shape: [4] } }]),
      modules: [
        {
          id: 'm',
          name: 'M',
          nodes: ports.map((p, i) => ({ id: `p${i}`, kind: p.kind, params: { name: p.name, ...(p.kind === 'ModuleInput' ? { shape: [4] } : {}) }, position: { x: 0, y: 0 } })),
          edges: [],
        },
      ],
    });

  it('two inputs (or two outputs) of one module with the same name are GC107 on the second', () => {
    const analysis = analyze(
      withPorts([
        { kind: 'ModuleInput', name: 'x' },
        { kind: 'ModuleInput', name: 'x' },
        { kind: 'ModuleOutput', name: '__proto__' },
        { kind: 'ModuleOutput', name: '__proto__' },
      ]),
    );
    const found = analysis.diagnostics.filter((d) => d.code === 'GC107');
    expect(found.map((d) => `${d.module}:${d.node}`)).toEqual(['m:p1', 'm:p3']);
    expect(found[0]!.message).toBe('Parameter "name" is invalid: module "m" already has an input named "x".');
    expect(found[1]!.message).toBe('Parameter "name" is invalid: module "m" already has an output named "__proto__".');
  });

  it('an input and an output may share a name', () => {
    const analysis = analyze(withPorts([{ kind: 'ModuleInput', name: 'x' }, { kind: 'ModuleOutput', name: 'x' }]));
    expect(analysis.diagnostics.filter((d) => d.code === 'GC107')).toEqual([]);
  });
});

describe('memory limit', () => {
  it('the default limit is the document default, so documents that keep it see nothing new', () => {
    const analysis = analyze(regression({}));
    expect(DEFAULT_MEMORY_LIMIT_MB).toBe(4096);
    expect(analysis.memoryBudgetMB).toBe(4096);
    expect(codes(analysis)).toEqual([]);
  });

  it('GC208: a document asking for more than the limit is told, and the limit is the budget', () => {
    const doc = fixture('gc208-memory-budget-over-limit.json');
    const analysis = analyze(doc);
    expect(analysis.memoryBudgetMB).toBe(DEFAULT_MEMORY_LIMIT_MB);
    const warning = analysis.diagnostics.find((d) => d.code === 'GC208')!;
    expect(warning).toEqual({
      code: 'GC208',
      severity: 'warning',
      message: 'The document asks for a memory budget of 1048576 MB; the limit set here is 4096 MB (--memory-budget, or Memory limit in the app), so the budget is 4096 MB.',
      path: 'training.memoryBudgetMB',
    });
    // The graph needs more than the capped budget: refused, naming the budget that applies.
    const over = analysis.diagnostics.find((d) => d.code === 'GC109')!;
    expect(over.message).toMatch(/the budget is 4096 MB\.$/);
    // A limit set higher lets it through; the document's own budget still caps it.
    const roomy = analyze(doc, { maxMemoryBudgetMB: 2_000_000 });
    expect(roomy.memoryBudgetMB).toBe(1_048_576);
    expect(codes(roomy).filter((c) => c.startsWith('GC109') || c.startsWith('GC208'))).toEqual([]);
  });

  it('a limit below the document budget caps it even for a small graph', () => {
    const doc = regression({ memoryBudgetMB: 512 });
    const analysis = analyze(doc, { maxMemoryBudgetMB: 64 });
    expect(analysis.memoryBudgetMB).toBe(64);
    expect(codes(analysis)).toEqual(['GC208@']);
    expect(analyze(doc, { maxMemoryBudgetMB: 512 }).diagnostics).toEqual([]);
    // A graph that needs more than the limit is GC109 at the limit.
    const tight = analyze(doc, { maxMemoryBudgetMB: 0.0001 });
    expect(codes(tight)).toContain('GC109@fc');
    // Compiling sees the same analysis: a warning only, so it still compiles.
    const compiled = compile(doc, analyze(doc, { maxMemoryBudgetMB: 64 }));
    expect(compiled.ok && compiled.diagnostics.map((d) => d.code)).toEqual(['GC208']);
  });
});
