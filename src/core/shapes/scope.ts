/** The pieces the analysis passes between its jobs while it walks a scope (the document, a module body, a block's expansion). */
import type { DiagnosticCode, DiagnosticPlace } from '../base/diagnostics.ts';
import type { Shape } from '../base/shape.ts';
import type { NodeDefinition, NodePorts, VariableSpec } from '../nodes/types.ts';
import type { FlatOp, NodeInfo, NodePlace } from './analysis.ts';

export interface ScopeNode {
  id: string;
  kind: string;
  params: Record<string, unknown>;
}
export interface ScopeEdge {
  id: string;
  source: { node: string; port: string };
  target: { node: string; port: string };
}
export interface Scope {
  nodes: readonly ScopeNode[];
  edges: readonly ScopeEdge[];
}

export interface ScopeContext {
  /** Prefix of op ids and value keys. */
  path: string;
  /** Prefix of variable scopes; a module's body uses the module id so instances share. */
  varPrefix: string;
  /** Where a diagnostic about local node `id` goes. */
  place(id: string): NodePlace;
  /** For problems inside a block: the path inside it, added to messages. */
  inside?: (id: string) => string;
  /** Values bound to (`node:port`) inputs from outside the scope (block inputs). */
  external: Map<string, string>;
  moduleInputs?: Map<string, string>;
  moduleOutputs?: Map<string, string>;
  /** Records NodeInfo of document-visible nodes. */
  infoSink?: Map<string, NodeInfo>;
  /** NodeInfos that ops created here count towards. */
  owners: NodeInfo[];
  moduleStack: string[];
  /** False when analysing an unplaced module: its ops are not part of the program. */
  emitOps: boolean;
  depth: number;
  /** The primitives analysed in this scope, by local id: where weight tying finds the node a reference names (ties.ts). */
  primitives?: Map<string, ScopePrimitive>;
}

/** A primitive node of a scope once inferred: its variables, and its op when one was emitted. */
export interface ScopePrimitive {
  def: NodeDefinition;
  varScope: string;
  variables: VariableSpec[];
  op?: FlatOp;
}

/** Reports a problem anywhere in the document (repeats are dropped). */
export type ReportAt = (code: DiagnosticCode, args: Record<string, unknown>, place: DiagnosticPlace) => void;

/** Reports a problem at a node (and port) of the scope being analysed. */
export type Report = (code: DiagnosticCode, args: Record<string, unknown>, id: string, port?: string) => void;

/** A node whose definition and params are known: `null` in a scope's map when they are not. */
export interface ResolvedNode {
  node: ScopeNode;
  def: NodeDefinition;
  params: unknown;
  ports: NodePorts;
}

/** A node ready to analyse: its definition, parsed params and resolved inputs. */
export interface NodeJob {
  node: ScopeNode;
  def: NodeDefinition;
  params: unknown;
  inputKeys: Record<string, string>;
  inputShapes: Record<string, Shape>;
}
