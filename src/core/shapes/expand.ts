/**
 * The walk over a document's scopes: the top level, then each module
 * instance and each block expanded into the scope of its insides, down to
 * primitive ops. Each node's inputs are bound to the values that feed it;
 * primitives are inferred by infer.ts.
 */
import { nameRecord } from '../base/names.ts';
import { diagnostic, ShapeError, type Diagnostic, type DiagnosticCode, type DiagnosticPlace } from '../base/diagnostics.ts';
import type { Shape } from '../base/shape.ts';
import type { GraphDocument, GraphModule } from '../graph/schema.ts';
import { getNodeDefinition } from '../nodes/registry.ts';
import { isLossKind } from '../nodes/types.ts';
import type { FlatOp, NodeInfo, ValueInfo } from './analysis.ts';
import { wireScope } from './edges.ts';
import { inferPrimitive } from './infer.ts';
import { declaredInputs, findRecursiveModules, PortsOf } from './modules.ts';
import { topologicalOrder } from './order.ts';
import { parseParams } from './params.ts';
import type { NodeJob, Report, ResolvedNode, Scope, ScopeContext, ScopeEdge, ScopeNode, ScopePrimitive } from './scope.ts';
import { resolveTies } from './ties.ts';
import type { LossNode } from './training-check.ts';

const MAX_EXPANSION_DEPTH = 16;

export class Analyzer {
  readonly ops: FlatOp[] = [];
  readonly values = new Map<string, ValueInfo>();
  readonly sampled = new Set<string>();
  readonly nodes = new Map<string, NodeInfo>();
  readonly moduleInfos = new Map<string, Map<string, NodeInfo>>();
  readonly diagnostics: Diagnostic[] = [];
  readonly lossNodes: LossNode[] = [];
  private readonly seen = new Set<string>();
  private readonly modulesById: Map<string, GraphModule>;
  private readonly ports: PortsOf;
  private recursiveModules = new Set<string>();

  constructor(readonly doc: GraphDocument) {
    this.modulesById = new Map(doc.modules.map((m) => [m.id, m]));
    this.ports = new PortsOf(this.modulesById);
  }

  /** Records a diagnostic once, however many scopes run into it. */
  readonly report = (code: DiagnosticCode, args: Record<string, unknown>, place: DiagnosticPlace): void => {
    const d = diagnostic(code, args, place);
    const key = `${d.code}|${d.module ?? ''}|${d.node ?? ''}|${d.port ?? ''}|${d.path ?? ''}|${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push(d);
  };

  run(): void {
    this.recursiveModules = findRecursiveModules(this.doc, this.report);
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
      for (const input of declaredInputs(mod)) {
        const key = `@${mod.id}/${input.name}`;
        this.values.set(key, { shape: input.shape, type: input.type });
        moduleInputs.set(input.name, key);
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

  private analyzeScope(scope: Scope, ctx: ScopeContext): Map<string, string> {
    const produced = new Map<string, string>();
    const report: Report = (code, args, id, port) => {
      const place = port === undefined ? ctx.place(id) : { ...ctx.place(id), port };
      if (ctx.inside) {
        const d = diagnostic(code, args, place);
        this.report('GC113', { reason: `${d.message.replace(/\.$/, '')} (inside, at ${ctx.inside(id)})` }, place);
      } else this.report(code, args, place);
    };

    // Resolve each node's definition, params and ports.
    const resolved = new Map<string, ResolvedNode | null>();
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
      resolved.set(node.id, { node, def, params: parsed.params, ports: this.ports.of(def, parsed.params) });
    }

    const wiring = wireScope(scope, resolved, report, this.report, ctx.place);
    const primitives = new Map<string, ScopePrimitive>();
    const here: ScopeContext = { ...ctx, primitives };
    for (const id of topologicalOrder(scope, wiring, report)) {
      const entry = resolved.get(id);
      if (!entry) continue;
      this.analyzeNode(entry, wiring.incoming.get(id), wiring.dead, produced, here, report);
    }
    // Weight tying: references name nodes of this scope, in any order.
    resolveTies(scope, resolved, primitives, report);
    return produced;
  }

  private analyzeNode(
    entry: ResolvedNode,
    incoming: Map<string, ScopeEdge> | undefined,
    dead: ReadonlySet<ScopeEdge>,
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
      if (edge && dead.has(edge)) {
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
    if (isLossKind(def)) this.lossNodes.push({ place, objective: (params as { objective: string }).objective });

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
        outputs = inferPrimitive({ node, def, params, inputKeys, inputShapes }, ctx, owners, report, this);
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

  /** A block: its expansion analysed as a scope of its own, fed by the block's inputs. */
  private analyzeExpansion({ node, def, params, inputKeys, inputShapes }: NodeJob, ctx: ScopeContext, owners: NodeInfo[]): Map<string, string> {
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

  /** A module instance: the module's body analysed with this instance's inputs; variables shared by module id. */
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
}
