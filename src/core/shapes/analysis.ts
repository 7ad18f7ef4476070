/** What an analysis of a document gives: the flat op graph, per-node information for the editor, diagnostics. */
import type { Diagnostic } from '../base/diagnostics.ts';
import type { Shape } from '../base/shape.ts';
import type { SamplerOp } from '../nodes/sampler-types.ts';
import type { NodePorts, PortType, VariableSpec } from '../nodes/types.ts';

export interface ValueInfo {
  shape: Shape;
  type: PortType;
}

/** Where a node sits in the document: top level, or inside a module. */
export interface NodePlace {
  node: string;
  module?: string;
}

/** One primitive op of the expanded graph: what a sampler's plan sees (SamplerOp), and more. Its id is a unique path, e.g. `enc/fc1` or `disc_fake/body/fc`; its params have defaults filled in. */
export interface FlatOp extends SamplerOp {
  /** Ops with the same scope share their variables (module instances). */
  varScope: string;
  /** Weight tying: variable (spec name) → the key of the variable another node lends it, resolved by the analysis (shapes/ties.ts). */
  tiedKeys?: Record<string, string>;
  /** The document node it comes from. */
  origin: NodePlace;
  phase: 'train' | 'sample';
}

export interface NodeInfo {
  params: unknown;
  ports: NodePorts;
  inputs: Record<string, ValueInfo>;
  outputs: Record<string, ValueInfo>;
  /** Output port → value key, to find its tensor in a forward run. */
  outputKeys: Record<string, string>;
  /** Trainable numbers in this node (for a module instance, the module's). */
  paramCount: number;
  /** Activation elements per batch item over the ops this node expands to. */
  activationElements: number;
}

export interface Analysis {
  ops: FlatOp[];
  values: Map<string, ValueInfo>;
  /** Top-level nodes by id. */
  nodes: Map<string, NodeInfo>;
  /** Module id → its nodes, as seen from its first instance (or standalone). */
  modules: Map<string, Map<string, NodeInfo>>;
  diagnostics: Diagnostic[];
  /** Distinct trainable numbers (shared variables counted once). */
  parameterCount: number;
  /** Estimated training memory at the document's batch size. */
  memoryBytes: number;
  /** The budget that applies: the document's, capped by the limit set on this machine. */
  memoryBudgetMB: number;
}

export interface AnalyzeOptions {
  /** A document may ask for a memory budget up to this many megabytes, no more. */
  maxMemoryBudgetMB?: number;
}

/** The key of an op's variable: its scope and name, or, tied, the key of the variable it shares. */
export function variableKeyOf(op: Pick<FlatOp, 'varScope' | 'tiedKeys'>, spec: VariableSpec): string {
  return op.tiedKeys?.[spec.name] ?? `${op.varScope}/${spec.name}`;
}
