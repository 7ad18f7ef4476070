/**
 * Plain descriptions of node kinds and their params, derived from the zod
 * schemas: used by the reference docs, and by the inspector to build forms.
 */
import { z } from 'zod';
import { portsOf, type NodeDefinition, type NodePorts } from './types.ts';

export interface ParamDescription {
  name: string;
  /** number, integer, boolean, string, enum, array, object */
  type: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  options?: readonly unknown[];
  optional: boolean;
}

interface JsonSchemaNode {
  type?: string | string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
}

export function describeParams(def: NodeDefinition): ParamDescription[] {
  const schema = z.toJSONSchema(def.params, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, p]) => {
    const out: ParamDescription = {
      name,
      type: p.enum ? 'enum' : Array.isArray(p.type) ? p.type.join(' | ') : (p.type ?? 'any'),
      optional: !required.has(name),
    };
    if (p.default !== undefined) out.default = p.default;
    const min = p.minimum ?? p.exclusiveMinimum;
    const max = p.maximum ?? p.exclusiveMaximum;
    if (min !== undefined) out.minimum = min;
    if (max !== undefined) out.maximum = max;
    if (p.enum) out.options = p.enum;
    return out;
  });
}

/** Ports with the params' defaults (kinds whose ports depend on params show their default ports). */
export function defaultPorts(def: NodeDefinition): NodePorts | undefined {
  const parsed = def.params.safeParse({});
  return parsed.success ? portsOf(def, parsed.data) : undefined;
}
