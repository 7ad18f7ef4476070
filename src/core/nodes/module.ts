/**
 * Modules: a named subgraph in the document's `modules`, placed by Module
 * nodes. Every instance shares the module's variables. Inside a module,
 * ModuleInput and ModuleOutput nodes are its ports.
 */
import { z } from 'zod';
import { zId } from '../graph/schema.ts';
import { defineNode } from './types.ts';

export const moduleInputNode = defineNode({
  kind: 'ModuleInput',
  category: 'module',
  title: 'Module input',
  description: "A port of the module it sits in; instances connect to it by name. The shape is taken from the instance's input, or from `shape` when the module is not placed anywhere.",
  params: z.strictObject({
    name: zId.default('x'),
    type: z.enum(['tensor', 'tokens']).default('tensor'),
    shape: z.array(z.int().min(1).max(65536)).max(3).optional(),
  }),
  ports: (p) => ({ inputs: [], outputs: [{ name: 'x', type: p.type }] }),
  summary: (p) => p.name,
});

export const moduleOutputNode = defineNode({
  kind: 'ModuleOutput',
  category: 'module',
  title: 'Module output',
  description: 'An output port of the module it sits in, by name.',
  params: z.strictObject({ name: zId.default('y'), type: z.enum(['tensor', 'tokens']).default('tensor') }),
  ports: (p) => ({ inputs: [{ name: 'x', type: p.type }], outputs: [] }),
  summary: (p) => p.name,
});

/** Its ports are the module's ModuleInput and ModuleOutput names (resolved by the analyzer). */
export const moduleInstanceNode = defineNode({
  kind: 'Module',
  category: 'module',
  title: 'Module instance',
  description: 'One placement of a module; all placements of the same module share its weights.',
  params: z.strictObject({ module: zId }),
  ports: { inputs: [], outputs: [] },
  summary: (p) => p.module,
});
