/**
 * One pass over a whole document: validates edges, orders nodes, expands
 * blocks and module instances into primitive ops, and infers the shape of
 * every port. The result is the flat op graph the compiler consumes, plus
 * per-node information for the editor, plus diagnostics.
 */
import { nameRecord } from '../base/names.ts';
import type { GraphDocument, GraphModule } from '../graph/schema.ts';
import { getNodeDefinition } from '../nodes/registry.ts';
import { portsOf, type NodeDefinition, type NodePorts, type PortSpec, type PortType, type VariableSpec } from '../nodes/types.ts';
import { diagnostic, ShapeError, type Diagnostic, type DiagnosticCode, type DiagnosticPlace } from '../base/diagnostics.ts';
import { expansionLimitDiagnostic } from './expansion-size.ts';
import { elementsPerItem, MAX_RANK, type Shape } from '../base/shape.ts';

export interface ValueInfo {
  shape: Shape;
  type: PortType;
}

/** Where a node sits in the document: top level, or inside a module. */
export interface NodePlace {
  node: string;
  module?: string;
}

export interface FlatOp {
  /** Unique path, e.g. `enc/fc1` or `disc_fake/body/fc`. */
  id: string;
  kind: string;
  def: NodeDefinition;
  /** Params with defaults filled in. */
  params: unknown;
  /** Port → value key. */
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  variables: VariableSpec[];
  /** Ops with the same scope share their variables (module instances). */
  varScope: string;
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

/** The memory limit when the person running GenComposer sets none (CLI `--memory-budget`, the app's setting). */
export const DEFAULT_MEMORY_LIMIT_MB = 4096;

export interface AnalyzeOptions {
  /** A document may ask for a memory budget up to this many megabytes, no more. */
  maxMemoryBudgetMB?: number;
}

interface ScopeNode {
  id: string;
  kind: string;
  params: Record<string, unknown>;
}
interface ScopeEdge {
  id: string;
  source: { node: string; port: string };
  target: { node: string; port: string };
}
interface Scope {
  nodes: readonly ScopeNode[];
  edges: readonly ScopeEdge[];
}

interface ScopeContext {
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
}

const MAX_EXPANSION_DEPTH = 16;
const BYTES_PER_FLOAT = 4;

type ParseResult = { ok: true; params: unknown } | { ok: false; issues: { path: PropertyKey[]; message: string }[] };
const parsedParams = new WeakMap<object, Map<NodeDefinition, ParseResult>>();

/** Params parsing is cached per params object: immer keeps unchanged objects identical. */
function parseParams(def: NodeDefinition, params: Record<string, unknown>): ParseResult {
  let byDef = parsedParams.get(params);
  const cached = byDef?.get(def);
  if (cached) return cached;
  const parsed = def.params.safeParse(params);
  const result: ParseResult = parsed.success
    ? { ok: true, params: parsed.data }
    : { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })) };
  if (!byDef) parsedParams.set(params, (byDef = new Map()));
  byDef.set(def, result);
  return result;
}

/** Reports a problem at a node (and port) of the scope being analysed. */
type Report = (code: DiagnosticCode, args: Record<string, unknown>, id: string, port?: string) => void;

/** A node ready to analyse: its definition, parsed params and resolved inputs. */
interface NodeJob {
  node: ScopeNode;
  def: NodeDefinition;
  params: unknown;
  inputKeys: Record<string, string>;
  inputShapes: Record<string, Shape>;
}

interface ModuleInterface {
  inputs: PortSpec[];
  outputs: PortSpec[];
}

class Analyzer {
  readonly ops: FlatOp[] = [];
  readonly values = new Map<string, ValueInfo>();
  readonly nodes = new Map<string, NodeInfo>();
  readonly moduleInfos = new Map<string, Map<string, NodeInfo>>();
  readonly diagnostics: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  private readonly modulesById: Map<string, GraphModule>;
  private readonly recursiveModules = new Set<string>();
  private readonly interfaces = new Map<string, ModuleInterface>();
  readonly lossNodes: { place: NodePlace; objective: string }[] = [];
  private readonly deadEdges = new WeakSet<ScopeEdge>();

  constructor(
    readonly doc: GraphDocument,
    private readonly options: AnalyzeOptions = {},
  ) {
    this.modulesById = new Map(doc.modules.map((m) => [m.id, m]));
  }

  report(code: DiagnosticCode, args: Record<string, unknown>, place: DiagnosticPlace): void {
    const d = diagnostic(code, args, place);
    const key = `${d.code}|${d.module ?? ''}|${d.node ?? ''}|${d.port ?? ''}|${d.path ?? ''}|${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push(d);
  }

  run(): void {
    this.findRecursiveModules();
    this.analyzeScope(this.doc, {
      path: '',
      varPrefix: '',
      place: (id) => ({ node: id }),
      external: new Map(),
      infoSink: this.nodes,
      owners: [],
      moduleStack: [],
      emitOps: true,
      depth: 0,
    });
    // Modules placed nowhere are still checked, with their declared input shapes.
    for (const mod of this.doc.modules) {
      if (this.moduleInfos.has(mod.id) || this.recursiveModules.has(mod.id)) continue;
      const moduleInputs = new Map<string, string>();
      for (const node of mod.nodes) {
        if (node.kind !== 'ModuleInput') continue;
        const def = getNodeDefinition('ModuleInput')!;
        const parsed = parseParams(def, node.params);
        if (!parsed.ok) continue;
        const p = parsed.params as { name: string; type: PortType; shape?: number[] };
        if (!p.shape) continue;
        const key = `@${mod.id}/${p.name}`;
        this.values.set(key, { shape: ['B', ...p.shape], type: p.type });
        moduleInputs.set(p.name, key);
      }
      const infos = new Map<string, NodeInfo>();
      this.moduleInfos.set(mod.id, infos);
      this.analyzeScope(mod, {
        path: `@${mod.id}/`,
        varPrefix: `${mod.id}/`,
        place: (id) => ({ node: id, module: mod.id }),
        external: new Map(),
        moduleInputs,
        moduleOutputs: new Map(),
        infoSink: infos,
        owners: [],
        moduleStack: [mod.id],
        emitOps: false,
        depth: 1,
      });
    }
  }

  /** Modules whose bodies place themselves, directly or through other modules. */
  private findRecursiveModules(): void {
    const refs = new Map<string, { module: string; node: string }[]>();
    for (const mod of this.doc.modules) {
      refs.set(
        mod.id,
        mod.nodes
          .filter((n) => n.kind === 'Module' && typeof n.params.module === 'string')
          .map((n) => ({ module: n.params.module as string, node: n.id })),
      );
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (id: string) => {
      state.set(id, 'visiting');
      stack.push(id);
      for (const ref of refs.get(id) ?? []) {
        const s = state.get(ref.module);
        if (s === 'visiting') {
          const chain = [...stack.slice(stack.indexOf(ref.module)), ref.module];
          for (const m of chain) this.recursiveModules.add(m);
          this.report('GC108', { module: ref.module, chain: chain.join(' → ') }, { node: ref.node, module: id });
        } else if (s === undefined && refs.has(ref.module)) visit(ref.module);
      }
      stack.pop();
      state.set(id, 'done');
    };
    for (const mod of this.doc.modules) if (!state.has(mod.id)) visit(mod.id);
  }

  private moduleInterface(mod: GraphModule): ModuleInterface {
    let found = this.interfaces.get(mod.id);
    if (found) return found;
    found = { inputs: [], outputs: [] };
    for (const node of mod.nodes) {
      if (node.kind !== 'ModuleInput' && node.kind !== 'ModuleOutput') continue;
      const parsed = parseParams(getNodeDefinition(node.kind)!, node.params);
      if (!parsed.ok) continue;
      const p = parsed.params as { name: string; type: PortType };
      (node.kind === 'ModuleInput' ? found.inputs : found.outputs).push({ name: p.name, type: p.type });
    }
    this.interfaces.set(mod.id, found);
    return found;
  }

  private portsFor(def: NodeDefinition, params: unknown): NodePorts {
    if (def.kind === 'Module') {
      const mod = this.modulesById.get((params as { module: string }).module);
      return mod ? this.moduleInterface(mod) : { inputs: [], outputs: [] };
    }
    return portsOf(def, params);
  }

  private analyzeScope(scope: Scope, ctx: ScopeContext): Map<string, string> {
    const produced = new Map<string, string>();
    const where = (id: string, port?: string): NodePlace & { port?: string } => {
      const place = ctx.place(id);
      return port === undefined ? place : { ...place, port };
    };
    const report: Report = (code, args, id, port) => {
      const place = where(id, port);
      if (ctx.inside) {
        const d = diagnostic(code, args, place);
        this.report('GC113', { reason: `${d.message.replace(/\.$/, '')} (inside, at ${ctx.inside(id)})` }, place);
      } else this.report(code, args, place);
    };

    // Resolve each node's definition, params and ports.
    const resolved = new Map<string, { node: ScopeNode; def: NodeDefinition; params: unknown; ports: NodePorts } | null>();
    for (const node of scope.nodes) {
      const def = getNodeDefinition(node.kind);
      if (!def) {
        report('GC101', { kind: node.kind }, node.id);
        resolved.set(node.id, null);
        continue;
      }
      const parsed = parseParams(def, node.params);
      if (!parsed.ok) {
        for (const issue of parsed.issues.slice(0, 5)) {
          const param = issue.path.map(String).join('.') || '(params)';
          report('GC107', { param, reason: issue.message }, node.id);
        }
        resolved.set(node.id, null);
        continue;
      }
      resolved.set(node.id, { node, def, params: parsed.params, ports: this.portsFor(def, parsed.params) });
    }

    // Validate edges; keep the ones that can carry data.
    const incoming = new Map<string, Map<string, ScopeEdge>>();
    const outgoing = new Map<string, ScopeEdge[]>();
    const counts = new Map<string, number>();
    const addEdge = (edge: ScopeEdge) => {
      let ports = incoming.get(edge.target.node);
      if (!ports) incoming.set(edge.target.node, (ports = new Map()));
      if (ports.has(edge.target.port)) return;
      ports.set(edge.target.port, edge);
      let outs = outgoing.get(edge.source.node);
      if (!outs) outgoing.set(edge.source.node, (outs = []));
      outs.push(edge);
    };
    for (const edge of scope.edges) {
      const src = resolved.get(edge.source.node);
      const dst = resolved.get(edge.target.node);
      const blame = dst !== undefined ? edge.target.node : src !== undefined ? edge.source.node : undefined;
      if (src === undefined || dst === undefined) {
        const missing = src === undefined ? edge.source.node : edge.target.node;
        if (blame) report('GC103', { edge: edge.id, what: `node "${missing}"` }, blame);
        else {
          const { module } = ctx.place(edge.target.node);
          this.report('GC103', { edge: edge.id, what: `nodes "${edge.source.node}" and "${edge.target.node}"` }, module ? { module } : {});
        }
        continue;
      }
      if (dst === null) continue; // already reported on the node
      const out = src?.ports.outputs.find((p) => p.name === edge.source.port);
      const inp = dst.ports.inputs.find((p) => p.name === edge.target.port);
      if (src === null) {
        // A broken source was reported on itself; the edge still marks this input as fed.
        if (inp) addEdge(edge);
        continue;
      }
      if (!out) {
        report('GC103', { edge: edge.id, what: `output "${edge.source.port}" of "${edge.source.node}"` }, edge.target.node);
        continue;
      }
      if (!inp) {
        report('GC103', { edge: edge.id, what: `input "${edge.target.port}" of "${edge.target.node}"` }, edge.target.node);
        continue;
      }
      const key = `${edge.target.node}:${edge.target.port}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (out.type !== inp.type) {
        report('GC110', { port: inp.name, from: `${out.type} output "${edge.source.node}.${out.name}"`, to: `a ${inp.type} input` }, edge.target.node, inp.name);
        // The input counts as fed (no GC102 on top), but nothing flows through it.
        this.deadEdges.add(edge);
      }
      addEdge(edge);
    }
    for (const [key, count] of counts) {
      if (count < 2) continue;
      const [node, port] = key.split(':') as [string, string];
      report('GC104', { port, count }, node, port);
    }

    for (const id of this.topologicalOrder(scope, incoming, outgoing, report)) {
      const entry = resolved.get(id);
      if (!entry) continue;
      this.analyzeNode(entry, incoming.get(id), produced, ctx, report);
    }
    return produced;
  }

  /** Kahn's order in document order; nodes on cycles are reported and left out. */
  private topologicalOrder(
    scope: Scope,
    incoming: Map<string, Map<string, ScopeEdge>>,
    outgoing: Map<string, ScopeEdge[]>,
    report: Report,
  ): string[] {
    const indegree = new Map<string, number>();
    for (const node of scope.nodes) indegree.set(node.id, incoming.get(node.id)?.size ?? 0);
    const queue = scope.nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
    const order: string[] = [];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!;
      order.push(id);
      for (const edge of outgoing.get(id) ?? []) {
        const left = indegree.get(edge.target.node)! - 1;
        indegree.set(edge.target.node, left);
        if (left === 0) queue.push(edge.target.node);
      }
    }
    if (order.length === indegree.size) return order;
    // What is left lies on a cycle or downstream of one; strip the downstream part.
    const left = new Set([...indegree.keys()].filter((id) => indegree.get(id)! > 0));
    let changed = true;
    while (changed) {
      changed = false;
      for (const id of left) {
        if (!(outgoing.get(id) ?? []).some((e) => left.has(e.target.node))) {
          left.delete(id);
          changed = true;
        }
      }
    }
    const names = [...left];
    const listed = names.length > 6 ? `${names.slice(0, 6).join(' → ')} …` : names.join(' → ');
    for (const id of names) report('GC105', { nodes: listed }, id);
    return order;
  }

  private analyzeNode(
    entry: { node: ScopeNode; def: NodeDefinition; params: unknown; ports: NodePorts },
    incoming: Map<string, ScopeEdge> | undefined,
    produced: Map<string, string>,
    ctx: ScopeContext,
    report: Report,
  ): void {
    const { node, def, params, ports } = entry;
    // Module port names come from the document: records without a prototype keep them plain keys.
    const inputKeys = nameRecord<string>();
    const inputShapes = nameRecord<Shape>();
    const info: NodeInfo = { params, ports, inputs: nameRecord(), outputs: nameRecord(), outputKeys: nameRecord(), paramCount: 0, activationElements: 0 };
    let blocked = false;
    for (const port of ports.inputs) {
      const edge = incoming?.get(port.name);
      if (edge && this.deadEdges.has(edge)) {
        blocked = true;
        continue;
      }
      const key = edge ? produced.get(`${edge.source.node}:${edge.source.port}`) : ctx.external.get(`${node.id}:${port.name}`);
      if (key === undefined) {
        // An upstream failure was reported where it happened; only a truly open input is news.
        if (edge) blocked = true;
        else if (!port.optional) {
          report('GC102', { port: port.name }, node.id, port.name);
          blocked = true;
        }
        continue;
      }
      const value = this.values.get(key)!;
      if (value.type !== port.type) {
        report('GC110', { port: port.name, from: `a ${value.type} value`, to: `a ${port.type} input` }, node.id, port.name);
        blocked = true;
        continue;
      }
      inputKeys[port.name] = key;
      inputShapes[port.name] = value.shape;
      info.inputs[port.name] = value;
    }
    if (ctx.infoSink && !ctx.infoSink.has(node.id)) ctx.infoSink.set(node.id, info);
    if (blocked) return;

    const owners = ctx.infoSink ? [...ctx.owners, info] : ctx.owners;
    const place = ctx.place(node.id);
    if (def.category === 'objective') this.lossNodes.push({ place, objective: (params as { objective: string }).objective });

    try {
      let outputs: Map<string, string>;
      if (def.kind === 'ModuleInput') {
        const key = ctx.moduleInputs?.get((params as { name: string }).name);
        outputs = new Map(key === undefined ? [] : [['x', key]]);
      } else if (def.kind === 'ModuleOutput') {
        ctx.moduleOutputs?.set((params as { name: string }).name, inputKeys.x!);
        outputs = new Map();
      } else if (def.kind === 'Module') {
        outputs = this.analyzeInstance(node, params as { module: string }, inputKeys, ctx, owners, report);
      } else if (def.expand) {
        outputs = this.analyzeExpansion({ node, def, params, inputKeys, inputShapes }, ctx, owners);
      } else {
        outputs = this.analyzePrimitive({ node, def, params, inputKeys, inputShapes }, ctx, owners, report);
      }
      for (const [port, key] of outputs) {
        produced.set(`${node.id}:${port}`, key);
        info.outputs[port] = this.values.get(key)!;
        info.outputKeys[port] = key;
      }
    } catch (error) {
      if (error instanceof ShapeError) report(error.code, error.args, node.id, error.port);
      else report('GC113', { reason: `"${node.id}" (${def.kind}) could not be analysed: ${error instanceof Error ? error.message : String(error)}` }, node.id);
    }
  }

  private analyzePrimitive(
    { node, def, params, inputKeys, inputShapes }: NodeJob,
    ctx: ScopeContext,
    owners: NodeInfo[],
    report: Report,
  ): Map<string, string> {
    if (!def.infer) throw new Error(`kind ${def.kind} has neither infer nor expand`);
    const shapes = def.infer({ params, inputs: inputShapes });
    const outputs = new Map<string, string>();
    const outputKeys = nameRecord<string>();
    const id = `${ctx.path}${node.id}`;
    let elements = 0;
    for (const port of portsOf(def, params).outputs) {
      const shape = shapes[port.name];
      if (!shape) throw new Error(`output "${port.name}" got no shape`);
      if (shape.length > MAX_RANK) {
        report('GC112', { port: port.name, shape, rank: shape.length, max: MAX_RANK }, node.id, port.name);
        return new Map();
      }
      const key = `${id}:${port.name}`;
      this.values.set(key, { shape, type: port.type });
      outputs.set(port.name, key);
      outputKeys[port.name] = key;
      elements += elementsPerItem(shape);
    }
    const variables = def.variables?.({ params, inputs: inputShapes }) ?? [];
    const paramCount = variables.reduce((sum, v) => sum + v.shape.reduce((a, b) => a * b, 1), 0);
    for (const owner of owners) {
      owner.paramCount += paramCount;
      owner.activationElements += elements;
    }
    if (ctx.emitOps) {
      this.ops.push({
        id,
        kind: def.kind,
        def,
        params,
        inputs: inputKeys,
        outputs: outputKeys,
        variables,
        varScope: `${ctx.varPrefix}${node.id}`,
        origin: ctx.place(node.id),
        phase: def.phase ?? 'train',
      });
    }
    return outputs;
  }

  private analyzeExpansion(
    { node, def, params, inputKeys, inputShapes }: NodeJob,
    ctx: ScopeContext,
    owners: NodeInfo[],
  ): Map<string, string> {
    if (ctx.depth >= MAX_EXPANSION_DEPTH) throw new Error('blocks nest too deeply');
    // Blocks that also infer check their inputs first, with messages about the block itself.
    def.infer?.({ params, inputs: inputShapes });
    const expansion = def.expand!({ params, inputs: inputShapes });
    const external = new Map<string, string>();
    for (const [port, targets] of Object.entries(expansion.inputs)) {
      const key = inputKeys[port];
      if (key === undefined) continue;
      for (const [id, innerPort] of targets) external.set(`${id}:${innerPort}`, key);
    }
    const outer = ctx.place(node.id);
    const prefix = ctx.inside ? ctx.inside(node.id) : node.id;
    const inner = this.analyzeScope(
      {
        nodes: expansion.nodes,
        edges: expansion.edges.map((e, i) => ({
          id: `x${i}`,
          source: { node: e.from[0], port: e.from[1] },
          target: { node: e.to[0], port: e.to[1] },
        })),
      },
      {
        path: `${ctx.path}${node.id}/`,
        varPrefix: `${ctx.varPrefix}${node.id}/`,
        place: () => outer,
        inside: (id) => `${prefix}/${id}`,
        external,
        owners,
        moduleStack: ctx.moduleStack,
        emitOps: ctx.emitOps,
        depth: ctx.depth + 1,
      },
    );
    const outputs = new Map<string, string>();
    for (const [port, [id, innerPort]] of Object.entries(expansion.outputs)) {
      const key = inner.get(`${id}:${innerPort}`);
      if (key !== undefined) outputs.set(port, key);
    }
    return outputs;
  }

  private analyzeInstance(
    node: ScopeNode,
    params: { module: string },
    inputKeys: Record<string, string>,
    ctx: ScopeContext,
    owners: NodeInfo[],
    report: Report,
  ): Map<string, string> {
    const mod = this.modulesById.get(params.module);
    if (!mod) {
      report('GC111', { module: params.module }, node.id);
      return new Map();
    }
    if (this.recursiveModules.has(mod.id) || ctx.moduleStack.includes(mod.id)) return new Map();
    if (ctx.depth >= MAX_EXPANSION_DEPTH) throw new Error('modules nest too deeply');
    let infos = this.moduleInfos.get(mod.id);
    const first = !infos;
    if (!infos) this.moduleInfos.set(mod.id, (infos = new Map()));
    const moduleOutputs = new Map<string, string>();
    this.analyzeScope(mod, {
      path: `${ctx.path}${node.id}/`,
      varPrefix: `${mod.id}/`,
      place: (id) => ({ node: id, module: mod.id }),
      external: new Map(),
      moduleInputs: new Map(Object.entries(inputKeys)),
      moduleOutputs,
      infoSink: first ? infos : undefined,
      owners,
      moduleStack: [...ctx.moduleStack, mod.id],
      emitOps: ctx.emitOps,
      depth: ctx.depth + 1,
    });
    return moduleOutputs;
  }

  /** Training settings against the loss nodes the graph holds. */
  checkTraining(): void {
    const training = this.doc.training;
    const defined = new Set(training.objectives.map((o) => o.id));
    const used = new Set(this.lossNodes.map((l) => l.objective));
    if (training.objectives.length > 0) {
      for (const loss of this.lossNodes) {
        if (!defined.has(loss.objective)) this.report('GC203', { lossNode: loss.place.node, objective: loss.objective }, loss.place);
      }
    }
    const names = new Set([...this.doc.modules.map((m) => m.id), ...this.doc.nodes.map((n) => n.id)]);
    const ids = new Set<string>();
    training.objectives.forEach((objective, i) => {
      const path = `training.objectives[${i}]`;
      // A second objective with the same id would silently replace the first.
      if (ids.has(objective.id)) this.report('GC207', { objective: objective.id }, { path: `${path}.id` });
      ids.add(objective.id);
      if (!used.has(objective.id)) this.report('GC201', { objective: objective.id, reason: 'has no loss node naming it' }, { path });
      for (const name of objective.updates) {
        if (!names.has(name)) {
          this.report('GC201', { objective: objective.id, reason: `updates "${name}", which is neither a module nor a node` }, { path: `${path}.updates` });
        }
      }
    });
    if (this.lossNodes.length === 0 && this.doc.nodes.length > 0) this.report('GC202', {}, {});
  }

  /** Two ModuleInput (or two ModuleOutput) nodes of one module with the same name would be one port. */
  checkModulePorts(): void {
    for (const mod of this.doc.modules) {
      const seen = new Set<string>();
      for (const node of mod.nodes) {
        if (node.kind !== 'ModuleInput' && node.kind !== 'ModuleOutput') continue;
        const parsed = parseParams(getNodeDefinition(node.kind)!, node.params);
        if (!parsed.ok) continue;
        const { name } = parsed.params as { name: string };
        const key = `${node.kind}:${name}`;
        if (seen.has(key)) {
          const side = node.kind === 'ModuleInput' ? 'input' : 'output';
          this.report('GC107', { param: 'name', reason: `module "${mod.id}" already has an ${side} named "${name}"` }, { node: node.id, module: mod.id });
        }
        seen.add(key);
      }
    }
  }

  /** The document's budget, capped by the limit set here (a document cannot raise it past the machine). */
  memoryBudgetMB(): number {
    const asked = this.doc.training.memoryBudgetMB;
    const limit = this.options.maxMemoryBudgetMB ?? DEFAULT_MEMORY_LIMIT_MB;
    if (asked <= limit) return asked;
    this.report('GC208', { requestedMB: asked, limitMB: limit }, { path: 'training.memoryBudgetMB' });
    return limit;
  }

  /** Parameters (with gradients and two Adam moments) plus activations kept for the backward pass. */
  estimateMemory(budgetMB: number): { parameterCount: number; memoryBytes: number } {
    const scopes = new Set<string>();
    let parameterCount = 0;
    let activations = 0;
    for (const op of this.ops) {
      if (op.phase !== 'train') continue;
      for (const v of op.variables) {
        const key = `${op.varScope}/${v.name}`;
        if (scopes.has(key)) continue;
        scopes.add(key);
        parameterCount += v.shape.reduce((a, b) => a * b, 1);
      }
      for (const key of Object.values(op.outputs)) activations += elementsPerItem(this.values.get(key)!.shape);
    }
    const batch = this.doc.training.batchSize;
    const memoryBytes = BYTES_PER_FLOAT * (4 * parameterCount + 2 * activations * batch);
    const budget = budgetMB * 1024 * 1024;
    if (memoryBytes > budget) {
      let heaviest: string | undefined;
      let most = -1;
      for (const [id, info] of this.nodes) {
        const weight = 4 * info.paramCount + 2 * info.activationElements * batch;
        if (weight > most) [heaviest, most] = [id, weight];
      }
      this.report(
        'GC109',
        { needMB: Math.ceil(memoryBytes / 1048576), batch, budgetMB },
        heaviest === undefined ? {} : { node: heaviest },
      );
    }
    return { parameterCount, memoryBytes };
  }
}

export function analyze(doc: GraphDocument, options: AnalyzeOptions = {}): Analysis {
  // Placements multiply: a document that expands past the limit is refused before anything is expanded.
  const tooLarge = expansionLimitDiagnostic(doc);
  if (tooLarge) return { ops: [], values: new Map(), nodes: new Map(), modules: new Map(), diagnostics: [tooLarge], parameterCount: 0, memoryBytes: 0, memoryBudgetMB: Math.min(doc.training.memoryBudgetMB, options.maxMemoryBudgetMB ?? DEFAULT_MEMORY_LIMIT_MB) };
  const analyzer = new Analyzer(doc, options);
  analyzer.run();
  analyzer.checkModulePorts();
  analyzer.checkTraining();
  const memoryBudgetMB = analyzer.memoryBudgetMB();
  const { parameterCount, memoryBytes } = analyzer.estimateMemory(memoryBudgetMB);
  return {
    ops: analyzer.ops,
    values: analyzer.values,
    nodes: analyzer.nodes,
    modules: analyzer.moduleInfos,
    diagnostics: analyzer.diagnostics,
    parameterCount,
    memoryBytes,
    memoryBudgetMB,
  };
}
