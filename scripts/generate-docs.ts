/**
 * Writes docs/nodes.md and docs/diagnostics.md from the registry and the
 * diagnostics table. Run: npm run docs (a test checks they are current).
 */
import { writeFileSync } from 'node:fs';
import { defaultPorts, describeParams } from '../src/core/nodes/describe.ts';
import { NODE_DEFINITIONS } from '../src/core/nodes/registry.ts';
import { CATEGORY_TITLES } from '../src/core/nodes/types.ts';
import { DIAGNOSTICS } from '../src/core/base/diagnostics.ts';

const cell = (v: unknown) => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const json = (v: unknown) => (v === undefined ? '' : `\`${JSON.stringify(v)}\``);

export function nodesMarkdown(): string {
  const lines = ['# Node reference', '', 'Generated from `src/core/nodes` by `npm run docs`.', ''];
  for (const [category, title] of Object.entries(CATEGORY_TITLES)) {
    const defs = NODE_DEFINITIONS.filter((d) => d.category === category);
    if (defs.length === 0) continue;
    lines.push(`## ${title}`, '');
    for (const def of defs) {
      lines.push(`### ${def.title} (\`${def.kind}\`)`, '', def.description, '');
      const ports = defaultPorts(def);
      if (ports && (ports.inputs.length > 0 || ports.outputs.length > 0)) {
        const fmt = (p: { name: string; type: string; optional?: boolean }) => `\`${p.name}\` (${p.type}${p.optional ? ', optional' : ''})`;
        lines.push(`Inputs: ${ports.inputs.map(fmt).join(', ') || 'none'}. Outputs: ${ports.outputs.map(fmt).join(', ') || 'none'}.`, '');
      }
      const params = describeParams(def);
      if (params.length > 0) {
        lines.push('| param | type | default | range |', '| --- | --- | --- | --- |');
        for (const p of params) {
          const range = p.options
            ? p.options.map((o) => `\`${String(o)}\``).join(', ')
            : p.minimum !== undefined || p.maximum !== undefined
              ? `${p.minimum ?? ''} … ${p.maximum ?? ''}`
              : '';
          lines.push(`| \`${p.name}\` | ${cell(p.type)} | ${cell(json(p.default))} | ${cell(range)} |`);
        }
        lines.push('');
      }
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

export function diagnosticsMarkdown(): string {
  const lines = [
    '# Diagnostics',
    '',
    'Generated from `src/core/shapes/diagnostics.ts` by `npm run docs`. Codes are stable:',
    'GC0xx concern the file, GC1xx the graph, GC2xx the training settings.',
    '',
    '| code | severity | message (with example values) |',
    '| --- | --- | --- |',
  ];
  const example = new Proxy({}, { get: (_t, key) => (key === 'got' || key === 'shape' ? ['B', 3] : `‹${String(key)}›`) });
  for (const [code, entry] of Object.entries(DIAGNOSTICS)) lines.push(`| ${code} | ${entry.severity} | ${cell(entry.text(example))} |`);
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync('docs/nodes.md', nodesMarkdown());
  writeFileSync('docs/diagnostics.md', diagnosticsMarkdown());
  console.log('wrote docs/nodes.md and docs/diagnostics.md');
}
