/**
 * The layers of src/, checked on every import: static, re-exports, dynamic
 * `import()`, `import('x').T` in types, and `new URL('x', import.meta.url)`
 * (how the page starts its worker). Type-only imports count too: a type
 * from a layer above ties this layer's meaning to it just as a value does,
 * and would stop the layers from being read and tested bottom up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * src/core's folders, bottom first: each may import only itself and the
 * folders before it. data sits below nodes because the Data node reads the
 * dataset list; render draws plain arrays; edits sits above the catalogue
 * whose defaults and expansions its recipes write into documents; export
 * reads trained programs, so it sits on top.
 */
const CORE_LAYERS = ['base', 'graph', 'data', 'render', 'nodes', 'shapes', 'edits', 'compiler', 'train', 'export'] as const;

/** What each area of src/ must not import (inside src/core, CORE_LAYERS decides). */
const FORBIDDEN: Record<string, readonly string[]> = {
  core: ['storage', 'worker', 'ui', 'cli'],
  storage: ['worker', 'ui', 'cli'],
  worker: ['ui', 'cli'],
  ui: ['cli'],
  cli: ['ui'],
};

const SRC = resolve('src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

interface Found {
  specifier: string | undefined;
  line: number;
}

/** Every module a file refers to; `specifier` is undefined for an import() whose target is not a literal. */
function importsOf(fileName: string, text: string): Found[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: Found[] = [];
  const add = (node: ts.Node, target: ts.Node | undefined) => {
    const specifier = target && ts.isStringLiteralLike(target) ? target.text : undefined;
    found.push({ specifier, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) add(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal);
    else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL' && node.arguments?.length === 2) {
      const base = node.arguments[1]!;
      if (ts.isPropertyAccessExpression(base) && ts.isMetaProperty(base.expression) && base.name.text === 'url') add(node, node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `core/<layer>` inside src/core, the top folder elsewhere in src/, undefined outside src/. */
function areaOf(path: string): string | undefined {
  const parts = relative(SRC, path).split(sep);
  if (parts[0] === '..' || parts.length < 2) return undefined;
  return parts[0] === 'core' ? `core/${parts.length > 2 ? parts[1] : ''}` : parts[0];
}

/** Why importing `to` from `from` breaks the layers, or undefined when it does not. */
function violation(from: string, to: string): string | undefined {
  const [fromTop, fromLayer] = from.split('/');
  const [toTop, toLayer] = to.split('/');
  if (fromTop === 'core' && toTop === 'core') {
    const a = CORE_LAYERS.indexOf(fromLayer as (typeof CORE_LAYERS)[number]);
    const b = CORE_LAYERS.indexOf(toLayer as (typeof CORE_LAYERS)[number]);
    if (a < 0 || b < 0) return `core/${a < 0 ? fromLayer : toLayer} is not in CORE_LAYERS`;
    return b > a ? `core/${toLayer} is above core/${fromLayer}` : undefined;
  }
  return FORBIDDEN[fromTop!]?.includes(toTop!) ? `${fromTop} must not import ${toTop}` : undefined;
}

function allImports() {
  return sourceFiles(SRC).flatMap((file) =>
    importsOf(file, readFileSync(file, 'utf8')).map(({ specifier, line }) => {
      const target = specifier?.startsWith('.') ? resolve(dirname(file), specifier) : undefined;
      return { file: relative(process.cwd(), file), line, specifier, from: areaOf(file)!, to: target === undefined ? undefined : areaOf(target) };
    }),
  );
}

describe('layers', () => {
  const imports = allImports();

  it('finds the imports it is meant to check', () => {
    // A parser that silently found nothing would pass everything below.
    expect(imports.length).toBeGreaterThan(500);
    const kinds = importsOf(
      'x.ts',
      "import a from './a.ts'; import type { B } from './b.ts'; export * from './c.ts'; await import('./d.ts'); type E = import('./e.ts').E; new Worker(new URL('./f.ts', import.meta.url));",
    );
    expect(kinds.map((k) => k.specifier)).toEqual(['./a.ts', './b.ts', './c.ts', './d.ts', './e.ts', './f.ts']);
  });

  it('every folder of src/core has a place in the order, and src/ holds only known areas', () => {
    const folders = readdirSync(join(SRC, 'core'), { withFileTypes: true });
    expect(folders.filter((f) => !f.isDirectory()).map((f) => f.name), 'files directly in src/core').toEqual([]);
    expect(folders.map((f) => f.name).sort()).toEqual([...CORE_LAYERS].sort());
    const areas = readdirSync(SRC, { withFileTypes: true }).map((f) => f.name);
    for (const area of areas) expect(Object.keys(FORBIDDEN), `src/${area}`).toContain(area);
  });

  it('every dynamic import names its module, so it can be checked', () => {
    expect(imports.filter((i) => i.specifier === undefined).map((i) => `${i.file}:${i.line}`)).toEqual([]);
  });

  it('nothing imports upwards', () => {
    const broken = imports.flatMap((i) => {
      const why = i.to === undefined ? undefined : violation(i.from, i.to);
      return why ? [`${i.file}:${i.line} imports ${i.specifier}: ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });
});
