/**
 * Writes docs/nodes.md and docs/diagnostics.md from the registry and the
 * diagnostics table. Run: npm run docs (a test checks they are current).
 */
import { writeFileSync } from 'node:fs';
import { defaultPorts, describeParams } from '../src/core/nodes/describe.ts';
import { NODE_DEFINITIONS } from '../src/core/nodes/registry.ts';
import { CATEGORY_TITLES, portsOf, type NodeDefinition } from '../src/core/nodes/types.ts';
import { MAX_RANK, formatShape } from '../src/core/base/shape.ts';
import { DIAGNOSTICS } from '../src/core/base/diagnostics.ts';

const cell = (v: unknown) => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const json = (v: unknown) => (v === undefined ? '' : `\`${JSON.stringify(v)}\``);

/** Port lists with what each port is for. */
const portText = (p: { name: string; type: string; optional?: boolean; doc?: string }) => `\`${p.name}\` (${p.type}${p.optional ? ', optional' : ''}${p.doc ? `: ${p.doc}` : ''})`;

/** The Data node's ports and shapes for each dataset, at its default params. */
function dataPortsTable(data: NodeDefinition): string[] {
  const datasets = describeParams(data).find((p) => p.name === 'dataset')?.options ?? [];
  const rows = ['| dataset | outputs (shape at the default params) |', '| --- | --- |'];
  for (const dataset of datasets) {
    // Datasets of the user's own files need a file name to be complete; any name does for their shapes.
    const parsed = data.params.safeParse({ dataset, file: 'file' });
    if (!parsed.success) continue;
    const shapes = data.infer!({ params: parsed.data, inputs: {} } as never);
    const outputs = portsOf(data, parsed.data).outputs.map((p) => `\`${p.name}\` ${formatShape(shapes[p.name]!)} ${p.type}${p.doc ? `, ${p.doc}` : ''}`);
    rows.push(`| \`${String(dataset)}\` | ${cell(outputs.join('; '))} |`);
  }
  return rows;
}

/** What a person writing a graph by hand needs before the per-kind reference. */
function conventions(): string[] {
  const byKind = new Map(NODE_DEFINITIONS.map((d) => [d.kind, d]));
  const invertible = NODE_DEFINITIONS.filter((d) => d.invertible).map((d) => `\`${d.kind}\``);
  const samplers = NODE_DEFINITIONS.filter((d) => d.sampler);
  return [
    '## Conventions',
    '',
    `- **Shapes** put a symbolic batch \`B\` first: \`[B, 784]\`, \`[B, 28, 28, 1]\` (height, width, channels). Tensors have rank ${MAX_RANK} or less (GC112).`,
    '- **Port types**: `tensor` (float32 values), `tokens` (int32 ids or class labels), `schedule` (a noise schedule\'s tables, from NoiseSchedule), `loss` (an objective\'s term). An edge joins ports of the same type (GC110); an input takes one edge.',
    '- **Token ids**: 0 is padding (ignored by losses), 1 (`.`) marks the start and the end of a sequence, 2 to 27 are `a` to `z`. A name is `[1, letters..., 1]` padded with 0.',
    '- **Modules**: a `Module` node places a module (`params.module`); its inputs and outputs are the `name`s of the module\'s `ModuleInput` and `ModuleOutput` nodes, with their `type`. Every placement shares the module\'s weights.',
    `- **Invertible kinds** define their inverse and log-determinant: ${invertible.join(', ')}. Blocks that expand only into them (Coupling layer) invert too, and a chain of them samples backwards through a FlowInverseSampler.`,
    `- **Samplers** (${samplers.map((d) => `\`${d.kind}\``).join(', ')}) run after training. Their inputs point into the training graph: the value they replace and the value they read (see each sampler\'s inputs below); the compiler finds the ops between them, and \`validate\` reports a sampler that cannot sample (GC205) on its node.`,
    `- **Conditions**: samplers with a \`condition\` input (${samplers.filter((d) => defaultPorts(d)?.inputs.some((p) => p.name === 'condition')).map((d) => `\`${d.kind}\``).join(', ')}) take the class labels of the training graph there (usually the Data node's \`y\`); when sampling, those labels are replaced by the ones chosen in \`condition\`: \`each-class\` (0 to n−1 in equal runs, a grid row per class, for the n classes the labels take: 10 for MNIST), \`values\` (the labels in \`conditionValues\`) or \`held-out\` (a held-out batch's labels). \`sample --condition\` and the app's class picker override it. Other inputs the sampled path reads from a Data node come from held-out batches.`,
    '- **Classifier-free guidance**: a `ConditionDropout` between the labels and the model trains it without labels too (the `nullLabel`, which the tables downstream must hold); DDPM and DDIM samplers with `guidance` w > 0 then step along (1 + w) eps(x, label) − w eps(x, null).',
    '- **After a sampler**: nodes that read a sampler\'s output run after it, on its samples (a VAE decoder after a latent diffusion sampler: place the trained decoder module again); they must end in one value, which is what the sampler produces. They cannot hold a loss or weights no objective trains (GC118). A sampler inside a module samples at each placement, named `placement/node`.',
    '- **Recurrent models**: `LSTM` and `GRU` carry a state from each position of a sequence to the next (`h0`/`c0` in, `h`/`c` out). When every node between an `AutoregressiveSampler`\'s tokens and its logits is positionwise (Embedding, Dense, Activation, Dropout, LayerNorm, Add, Multiply, StopGradient, Softmax and Concat on the last axis) or recurrent, the sampler feeds one token at a time and carries the recurrent state, so each token costs one step of the model; a model with attention or positions is re-run on the whole prefix for each token.',
    '',
    '### The Data node\'s outputs per dataset',
    '',
    ...dataPortsTable(byKind.get('Data')!),
    '',
  ];
}

export function nodesMarkdown(): string {
  const lines = ['# Node reference', '', 'Generated from `src/core/nodes` by `npm run docs`.', '', ...conventions()];
  for (const [category, title] of Object.entries(CATEGORY_TITLES)) {
    const defs = NODE_DEFINITIONS.filter((d) => d.category === category);
    if (defs.length === 0) continue;
    lines.push(`## ${title}`, '');
    for (const def of defs) {
      lines.push(`### ${def.title} (\`${def.kind}\`)`, '', def.description, '');
      const ports = defaultPorts(def);
      if (ports && (ports.inputs.length > 0 || ports.outputs.length > 0)) {
        lines.push(`Inputs: ${ports.inputs.map(portText).join(', ') || 'none'}. Outputs: ${ports.outputs.map(portText).join(', ') || 'none'}.`, '');
      }
      if (def.invertible) lines.push('Invertible: it defines its inverse and log-determinant.', '');
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
    'Generated from `src/core/base/diagnostics.ts` by `npm run docs`. Codes are stable:',
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
