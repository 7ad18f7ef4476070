/** Checks of modules as a whole: recursion, their ports (from ModuleInput and ModuleOutput nodes), their declared input shapes. */
import type { GraphDocument, GraphModule } from '../graph/schema.ts';
import { getNodeDefinition } from '../nodes/registry.ts';
import { portsOf, type NodeDefinition, type NodePorts, type PortSpec, type PortType } from '../nodes/types.ts';
import type { Shape } from '../base/shape.ts';
import { parseParams } from './params.ts';
import type { ReportAt } from './scope.ts';

/** Modules whose bodies place themselves, directly or through other modules; each cycle is reported once. */
export function findRecursiveModules(doc: GraphDocument, reportAt: ReportAt): Set<string> {
  const recursive = new Set<string>();
  const refs = new Map<string, { module: string; node: string }[]>();
  for (const mod of doc.modules) {
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
        for (const m of chain) recursive.add(m);
        reportAt('GC108', { module: ref.module, chain: chain.join(' → ') }, { node: ref.node, module: id });
      } else if (s === undefined && refs.has(ref.module)) visit(ref.module);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const mod of doc.modules) if (!state.has(mod.id)) visit(mod.id);
  return recursive;
}

/** Nodes' ports, where a module instance's are its module's ModuleInput and ModuleOutput nodes (worked out once per module). */
export class PortsOf {
  private readonly interfaces = new Map<string, NodePorts>();

  constructor(private readonly modulesById: ReadonlyMap<string, GraphModule>) {}

  of(def: NodeDefinition, params: unknown): NodePorts {
    if (def.kind === 'Module') {
      const mod = this.modulesById.get((params as { module: string }).module);
      return mod ? this.moduleInterface(mod) : { inputs: [], outputs: [] };
    }
    return portsOf(def, params);
  }

  private moduleInterface(mod: GraphModule): NodePorts {
    let found = this.interfaces.get(mod.id);
    if (found) return found;
    const inputs: PortSpec[] = [];
    const outputs: PortSpec[] = [];
    for (const node of mod.nodes) {
      if (node.kind !== 'ModuleInput' && node.kind !== 'ModuleOutput') continue;
      const parsed = parseParams(getNodeDefinition(node.kind)!, node.params);
      if (!parsed.ok) continue;
      const p = parsed.params as { name: string; type: PortType };
      (node.kind === 'ModuleInput' ? inputs : outputs).push({ name: p.name, type: p.type });
    }
    found = { inputs, outputs };
    this.interfaces.set(mod.id, found);
    return found;
  }
}

/** The inputs a module declares a shape for, so a module placed nowhere can still be checked. */
export function declaredInputs(mod: GraphModule): { name: string; type: PortType; shape: Shape }[] {
  const declared: { name: string; type: PortType; shape: Shape }[] = [];
  for (const node of mod.nodes) {
    if (node.kind !== 'ModuleInput') continue;
    const parsed = parseParams(getNodeDefinition('ModuleInput')!, node.params);
    if (!parsed.ok) continue;
    const p = parsed.params as { name: string; type: PortType; shape?: number[] };
    if (!p.shape) continue;
    declared.push({ name: p.name, type: p.type, shape: ['B', ...p.shape] });
  }
  return declared;
}

/** Two ModuleInput (or two ModuleOutput) nodes of one module with the same name would be one port. */
export function checkModulePorts(doc: GraphDocument, reportAt: ReportAt): void {
  for (const mod of doc.modules) {
    const seen = new Set<string>();
    for (const node of mod.nodes) {
      if (node.kind !== 'ModuleInput' && node.kind !== 'ModuleOutput') continue;
      const parsed = parseParams(getNodeDefinition(node.kind)!, node.params);
      if (!parsed.ok) continue;
      const { name } = parsed.params as { name: string };
      const key = `${node.kind}:${name}`;
      if (seen.has(key)) {
        const side = node.kind === 'ModuleInput' ? 'input' : 'output';
        reportAt('GC107', { param: 'name', reason: `module "${mod.id}" already has an ${side} named "${name}"` }, { node: node.id, module: mod.id });
      }
      seen.add(key);
    }
  }
}
