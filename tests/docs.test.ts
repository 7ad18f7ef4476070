import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diagnosticsMarkdown, nodesMarkdown } from '../scripts/generate-docs.ts';
import { NODE_DEFINITIONS } from '../src/core/nodes/registry.ts';

describe('reference docs', () => {
  it('docs/nodes.md and docs/diagnostics.md are current (run npm run docs)', () => {
    expect(readFileSync('docs/nodes.md', 'utf8')).toBe(nodesMarkdown());
    expect(readFileSync('docs/diagnostics.md', 'utf8')).toBe(diagnosticsMarkdown());
  });

  it('every kind has a title, a description and a unique name', () => {
    const kinds = NODE_DEFINITIONS.map((d) => d.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const def of NODE_DEFINITIONS) {
      expect(def.title.length, def.kind).toBeGreaterThan(0);
      expect(def.description, def.kind).toMatch(/\.$/);
      expect(def.infer || def.expand || def.kind.startsWith('Module'), def.kind).toBeTruthy();
    }
  });
});
