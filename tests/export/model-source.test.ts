/**
 * model.py is written from untrusted documents: names, descriptions and ids
 * are data in it, never code. A description with quotes, backslashes and
 * line breaks stays inside its docstring; ids that map to one Python name
 * ('a-b' and 'a_b') get two; the source parses (checked with Python when
 * /usr/bin/python3 is there).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { writeTorchModel } from '../../src/core/export/pytorch/model.ts';
import { pyString } from '../../src/core/base/python.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { makeDocument } from '../documents.ts';

const hostile = 'ends """ here\\"; import os; os.system("echo owned") #\n\u202e\u0000 and\r\nmore';

function model() {
  const doc = makeDocument(
    [
      { id: 'data', kind: 'Data', params: { dataset: 'two-moons' } },
      { id: 'a-b', kind: 'Dense', params: { units: 4 } },
      { id: 'a_b', kind: 'Dense', params: { units: 2 } },
      { id: 'class', kind: 'ReconstructionLoss', params: { loss: 'mse' } },
    ],
    ['data.x->a-b.x', 'a-b.y->a_b.x', 'a_b.y->class.prediction', 'data.x->class.target'],
  );
  doc.meta.name = hostile;
  doc.meta.description = hostile;
  const compiled = compile(doc, analyze(doc));
  if (!compiled.ok) throw new Error(compiled.diagnostics[0]!.message);
  const written = writeTorchModel(compiled.program);
  if (!written.ok) throw new Error(written.diagnostics[0]!.message);
  return written.model;
}

describe('model.py from an untrusted document', () => {
  it('keeps text in docstrings and comments, and gives distinct ids distinct names', () => {
    const { source, parameters } = model();
    expect(source).not.toContain('\u202e');
    expect(source).not.toContain('\u0000');
    expect(source).toContain('self.a_b = gc.Dense(');
    expect(source).toContain('self.a_b_2 = gc.Dense(');
    expect(source).toContain('self.n_class = gc.ReconstructionLoss(');
    expect(parameters.map((p) => p.name).sort()).toEqual(['a_b.bias', 'a_b.weight', 'a_b_2.bias', 'a_b_2.weight']);
  });

  it.skipIf(spawnSync('/usr/bin/python3', ['-c', 'pass']).status !== 0)('parses as Python, with the text as the docstring', () => {
    const { source } = model();
    const check = `import ast, sys\nsrc = sys.stdin.read()\ntree = ast.parse(src)\nmodel = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == 'Model'][0]\nimports = sorted(a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names)\nassert imports == ['gencomposer', 'nn', 'torch'], imports\nprint(ast.get_docstring(model))`;
    const run = spawnSync('/usr/bin/python3', ['-c', check], { input: source, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('import os; os.system(');
    expect(run.stdout).not.toContain('"');
    // Still one line of text per docstring line: the document's line breaks became spaces.
    expect(pyString('\n')).toBe("'\\x0a'");
  });
});
