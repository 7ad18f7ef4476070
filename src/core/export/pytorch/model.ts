/**
 * model.py: the graph as PyTorch modules. Each document module becomes a
 * class, the graph becomes `Model`, and each node is a module of the
 * `gencomposer` package (or an expression) as its kind's `torch` form says.
 * `Model.forward(batch, objective, ctx)` runs one objective's losses, so
 * DistributedDataParallel wraps the whole model once, whatever objective a
 * step trains.
 *
 * The generator walks the document (not the expanded ops), so blocks stay
 * blocks; the compiled program says which nodes each objective needs and
 * which variables exist. Every variable gets one PyTorch name (the first
 * module that registers it), the name weights.safetensors uses.
 */
import { diagnostic, type Diagnostic } from '../../base/diagnostics.ts';
import type { Shape } from '../../base/shape.ts';
import type { GraphDocument, GraphModule, GraphScope } from '../../graph/schema.ts';
import type { CompiledObjective, Program } from '../../compiler/program.ts';
import { getNodeDefinition } from '../../nodes/registry.ts';
import { isLossKind, type Init, type NodeDefinition, type PyValue, type TorchLayout } from '../../nodes/types.ts';
import type { NodeInfo } from '../../shapes/analysis.ts';
import { pyIdentifier, pyKeywords, pyLiteral, pyString } from '../../base/python.ts';
import type { SamplerNetwork } from '../../nodes/sampler-types.ts';
import { samplerNetworks } from '../sampler-networks.ts';

/** One parameter of model.py: the variable it holds, its name in the state_dict, and how its values are laid out there. */
export interface TorchParameter {
  /** The program's variable key. */
  key: string;
  /** Its name in Model's state_dict and in weights.safetensors. */
  name: string;
  layout: TorchLayout;
  init: Init;
  /** GenComposer's shape (the variable's); the PyTorch shape follows from the layout. */
  shape: number[];
}

export interface TorchModel {
  source: string;
  parameters: TorchParameter[];
  /** Objective id → the Model method that computes its losses. */
  objectiveMethods: Map<string, string>;
  /** Sampler id → network name → the Model method that runs it and its arguments (the network's inputs, in order). */
  samplerMethods: Map<string, Map<string, { method: string; inputs: string[] }>>;
}

export type TorchModelResult = { ok: true; model: TorchModel } | { ok: false; diagnostics: Diagnostic[] };

const FEED_KINDS = new Set(['Data', 'Input']);
const PLUMBING = new Set(['ModuleInput', 'ModuleOutput']);

/** Names that never go to a node: the generated code's own. */
const RESERVED = ['self', 'batch', 'ctx', 'torch', 'nn', 'F', 'gc', 'math', 'gradients', 'losses', 'metrics', 'Model', 'INITS'];

/** Hands out Python names, each once, in a namespace. */
class Names {
  private readonly used = new Set<string>(RESERVED);
  take(wanted: string): string {
    let name = wanted;
    for (let i = 2; this.used.has(name); i++) name = `${wanted}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** A Python class name for a module id: 'disc' → 'Disc', 'my-enc' → 'My_enc'. */
function className(id: string, names: Names): string {
  const base = pyIdentifier(id, 'M_');
  return names.take(`${base[0]!.toUpperCase()}${base.slice(1)}`);
}

/** Where a scope's nodes are: the graph's, or a module's (whose variables are under the module's id). */
interface ScopeView {
  scope: GraphScope;
  infos: Map<string, NodeInfo>;
  /** Variable keys of this scope start with it: '' for the graph, 'disc/' for module disc. */
  varPrefix: string;
  /** Attribute path from Model to this scope's module: '' for the graph, 'disc.' for module disc. */
  attrPrefix: string;
  module?: GraphModule;
}

class ModelWriter {
  readonly diagnostics: Diagnostic[] = [];
  readonly parameters: TorchParameter[] = [];
  private readonly named = new Set<string>();
  private readonly variables: Map<string, Program['variables'][number]>;
  private readonly classNames = new Map<string, string>();
  private readonly moduleAttrs = new Map<string, string>();
  private readonly modulesById: Map<string, GraphModule>;
  private readonly classes: string[] = [];
  constructor(
    readonly program: Program,
    readonly doc: GraphDocument,
  ) {
    this.variables = new Map(program.variables.map((v) => [v.key, v]));
    this.modulesById = new Map(doc.modules.map((m) => [m.id, m]));
  }

  refuse(node: string, reason: string, module?: string): void {
    const d = diagnostic('GC301', { to: 'PyTorch', reason }, module ? { node, module } : { node });
    // Objectives that share a node would report it once each.
    if (!this.diagnostics.some((o) => o.node === d.node && o.module === d.module && o.message === d.message)) this.diagnostics.push(d);
  }

  /** Modules placed anywhere, those they place first. */
  private moduleOrder(): GraphModule[] {
    const order: GraphModule[] = [];
    const visit = (id: string) => {
      const mod = this.modulesById.get(id);
      if (!mod || order.includes(mod)) return;
      for (const n of mod.nodes) if (n.kind === 'Module') visit(String(n.params.module));
      order.push(mod);
    };
    for (const n of this.doc.nodes) if (n.kind === 'Module') visit(String(n.params.module));
    return order;
  }

  write(): TorchModel {
    const classNames = new Names();
    const attrs = new Names();
    const modules = this.moduleOrder();
    for (const mod of modules) {
      this.classNames.set(mod.id, className(mod.id, classNames));
      this.moduleAttrs.set(mod.id, attrs.take(pyIdentifier(mod.id)));
    }
    for (const mod of modules) this.classes.push(this.writeModuleClass(mod));
    const graph: ScopeView = { scope: this.doc, infos: this.program.analysis.nodes, varPrefix: '', attrPrefix: '' };
    const objectiveMethods = new Map<string, string>();
    const methodNames = new Names();
    for (const o of this.program.objectives) objectiveMethods.set(o.id, methodNames.take(`objective_${pyIdentifier(o.id, '')}`));
    const samplerMethods: TorchModel['samplerMethods'] = new Map();
    for (const plan of this.program.samplers) {
      const networks = samplerNetworks(plan);
      if (!networks) {
        this.refuse(plan.op.origin.node, `sampler kind ${plan.op.kind} has no exported loop`);
        continue;
      }
      const methods = new Map<string, { method: string; inputs: string[] }>();
      for (const network of networks) {
        methods.set(network.name, { method: methodNames.take(`sample_${pyIdentifier(plan.op.id, '')}_${network.name}`), inputs: network.inputs.map((i) => i.name) });
      }
      samplerMethods.set(plan.op.id, methods);
    }
    const model = this.writeModelClass(graph, modules, objectiveMethods, samplerMethods);
    const header = [
      `"""`,
      `${pyDocText(this.doc.meta.name)}: the graph as PyTorch modules, written by \`gencomposer export\`.`,
      ``,
      `Each attribute is a node of the graph (its id in the comment beside it);`,
      `tensors are channels last, as on the canvas. Model.forward(batch, objective, ctx)`,
      `computes one objective's losses; train.py trains them, sample.py samples.`,
      `"""`,
      'import torch',
      'from torch import nn',
      '',
      'import gencomposer as gc',
      '',
    ];
    const inits = [
      '# How GenComposer initialises each parameter (weights.safetensors holds the trained or initial values).',
      'INITS = {',
      ...this.parameters.map((p) => `    ${pyString(p.name)}: ${initLiteral(p.init)},`),
      '}',
    ];
    const source = [...header, ...inits, '', ...this.classes.flatMap((c) => [c, '']), model, ''].join('\n');
    return { source, parameters: this.parameters, objectiveMethods, samplerMethods };
  }

  /** Names every variable a node declares that is its own, under the node's attribute. */
  private nameVariables(view: ScopeView, nodeId: string, attr: string, weights: Readonly<Record<string, readonly [string, TorchLayout]>>): void {
    for (const [path, [torchName, layout]] of Object.entries(weights)) {
      const key = `${view.varPrefix}${nodeId}/${path}`;
      const variable = this.variables.get(key);
      // Tied variables are the lender's (another key); variables of nodes no objective reaches do not exist.
      if (!variable || this.named.has(key)) continue;
      this.named.add(key);
      this.parameters.push({ key, name: `${view.attrPrefix}${attr}.${torchName}`, layout, init: variable.init, shape: variable.shape });
    }
  }

  private writeModuleClass(mod: GraphModule): string {
    const infos = this.program.analysis.modules.get(mod.id) ?? new Map<string, NodeInfo>();
    const view: ScopeView = { scope: mod, infos, varPrefix: `${mod.id}/`, attrPrefix: `${this.moduleAttrs.get(mod.id)}.`, module: mod };
    const attrs = new Names();
    const locals = new Names();
    const inputs = mod.nodes.filter((n) => n.kind === 'ModuleInput');
    const outputs = mod.nodes.filter((n) => n.kind === 'ModuleOutput');
    const inputNames = new Map(inputs.map((n) => [n.id, locals.take(pyIdentifier(String(n.params.name), 'in_'))]));
    const placed = [...new Set(mod.nodes.filter((n) => n.kind === 'Module').map((n) => String(n.params.module)))];
    const init: string[] = [];
    const body = this.writeScope(view, attrs, locals, new Set(mod.nodes.map((n) => n.id)), init, inputNames);
    const returned = outputs.map((n) => [String(n.params.name), body.refs.get(`${inEdgeSource(mod, n.id, 'x')}`) ?? 'None'] as const);
    const result = returned.length === 1 ? returned[0]![1] : `{${returned.map(([name, expr]) => `${pyString(name)}: ${expr}`).join(', ')}}`;
    const args = [...inputNames.values()].map((n) => `${n}, `).join('');
    const placedArgs = placed.map((id) => `, ${this.moduleAttrs.get(id)}`).join('');
    return [
      `class ${this.classNames.get(mod.id)}(nn.Module):`,
      ...docstring(`Module ${mod.name} (id ${mod.id})${mod.description ? `: ${mod.description.replace(/[.\s]+$/, '')}` : ''}.`, '    '),
      '',
      `    def __init__(self${placedArgs}):`,
      '        super().__init__()',
      ...placed.map((id) => `        self.${this.moduleAttrs.get(id)} = ${this.moduleAttrs.get(id)}`),
      ...init.map((l) => `        ${l}`),
      ...(init.length === 0 && placed.length === 0 ? ['        pass'] : []),
      '',
      `    def forward(self, ${args}ctx):`,
      ...body.lines.map((l) => `        ${l}`),
      `        return ${result}`,
    ].join('\n');
  }

  private writeModelClass(graph: ScopeView, modules: GraphModule[], methods: Map<string, string>, samplerMethods: TorchModel['samplerMethods']): string {
    const init: string[] = [];
    for (const mod of modules) {
      const placed = [...new Set(mod.nodes.filter((n) => n.kind === 'Module').map((n) => String(n.params.module)))];
      const names = placed.map((id) => `self.${this.moduleAttrs.get(id)}`).join(', ');
      init.push(`self.${this.moduleAttrs.get(mod.id)} = ${this.classNames.get(mod.id)}(${names})  # module ${pyDocText(mod.id)}`);
    }
    // Every top-level node that some objective runs is built once, in graph order.
    const methodsSource: string[] = [];
    const nodeAttrs = new Names();
    for (const name of this.moduleAttrs.values()) nodeAttrs.take(name);
    const built = new Map<string, string>();
    for (const objective of this.program.objectives) {
      const needed = new Set(objective.ops.map((op) => op.id.split('/')[0]!));
      const locals = new Names();
      const body = this.writeScope(graph, nodeAttrs, locals, needed, init, new Map(), built);
      methodsSource.push(this.objectiveMethod(objective, methods.get(objective.id)!, body));
    }
    for (const plan of this.program.samplers) {
      const names = samplerMethods.get(plan.op.id);
      if (!names) continue;
      for (const network of samplerNetworks(plan) ?? []) {
        const method = this.samplerMethod(graph, plan.op.origin.node, network, names.get(network.name)!.method, nodeAttrs, init, built);
        if (method) methodsSource.push(method);
      }
    }
    const dispatch = this.program.objectives.map((o, i) => `        ${i === 0 ? 'if' : 'elif'} objective == ${pyString(o.id)}:\n            return self.${methods.get(o.id)}(batch, ctx)`);
    return [
      'class Model(nn.Module):',
      ...docstring(`${this.doc.meta.name}${this.doc.meta.description ? `: ${this.doc.meta.description}` : ''}`, '    '),
      '',
      '    def __init__(self):',
      '        super().__init__()',
      ...init.map((l) => `        ${l}`),
      '        gc.init_parameters(self, INITS)',
      '',
      '    def forward(self, batch, objective, ctx):',
      "        \"\"\"One objective's losses on a batch: {'losses': {loss node: value}, 'metrics': {name: value}}.\"\"\"",
      ...dispatch,
      `        raise ValueError(f'unknown objective {objective!r}')`,
      ...methodsSource.flatMap((m) => ['', m]),
    ].join('\n');
  }

  private objectiveMethod(objective: CompiledObjective, method: string, body: { lines: string[]; refs: Map<string, string> }): string {
    const losses = objective.losses.map((op) => `${pyString(op.origin.node)}: ${body.refs.get(`${op.origin.node}:loss`) ?? 'None'}`);
    const metrics = objective.metrics.map((m) => {
      const [node, port] = [m.name.slice(0, m.name.lastIndexOf('.')), m.name.slice(m.name.lastIndexOf('.') + 1)];
      return `${pyString(m.name)}: ${body.refs.get(`${node}:${port}`) ?? 'None'}`;
    });
    return [
      `    def ${method}(self, batch, ctx):`,
      `        """Objective ${pyDocText(objective.id)}: ${objective.losses.map((op) => pyDocText(op.origin.node)).join(' + ')}."""`,
      ...body.lines.map((l) => `        ${l}`),
      `        return {'losses': {${losses.join(', ')}}, 'metrics': {${metrics.join(', ')}}}`,
    ].join('\n');
  }

  private graphRefs?: Map<string, string>;

  /** The graph's node output (`node:port`) that holds a value of the expanded graph, when a node of the graph (not one inside a block or module) makes it. */
  private graphRef(key: string): string | undefined {
    if (!this.graphRefs) {
      this.graphRefs = new Map();
      for (const [id, info] of this.program.analysis.nodes) for (const [port, value] of Object.entries(info.outputKeys)) this.graphRefs.set(value, `${id}:${port}`);
    }
    return this.graphRefs.get(key);
  }

  /** A sampler network as a method of Model: its inputs in, the value it computes out (forwards, or a flow's path backwards). */
  private samplerMethod(graph: ScopeView, sampler: string, network: SamplerNetwork, method: string, attrs: Names, init: string[], built: Map<string, string>): string | undefined {
    const locals = new Names();
    const args = network.inputs.map((i) => locals.take(pyIdentifier(i.name)));
    const refs = new Map<string, string>();
    const fixed = new Set<string>();
    const inside = (key: string) =>
      `its ${network.name} network ${key === network.output ? 'ends' : 'starts'} at a value inside a block or module ("${key}"); export writes samplers whose values are outputs of the graph's own nodes`;
    for (const [i, input] of network.inputs.entries()) {
      const ref = this.graphRef(input.key);
      if (!ref) return void this.refuse(sampler, inside(input.key));
      refs.set(ref, args[i]!);
      fixed.add(ref);
    }
    const output = this.graphRef(network.output);
    if (!output) return void this.refuse(sampler, inside(network.output));
    const missing: string[] = [];
    const given = { refs, fixed, missing };
    const lines: string[] = [];
    if (network.inverse) {
      // A block that runs backwards as a whole is written once, where the plan first steps into it.
      const blocks = new Set<string>();
      for (const step of network.inverse) {
        const [top, inner] = step.op.id.split('/');
        if (inner !== undefined) {
          const kind = this.doc.nodes.find((n) => n.id === top)?.kind;
          if (!kind || !getNodeDefinition(kind)?.torch?.inverts) {
            return void this.refuse(sampler, `its flow runs backwards through "${step.op.id}", inside a block or module without a PyTorch inverse`);
          }
          if (blocks.has(top!)) continue;
          blocks.add(top!);
          if (!this.writeInverseStep(graph, top!, attrs, locals, init, built, refs, lines)) return undefined;
        } else if (step.kind === 'forward') lines.push(...this.writeScope(graph, attrs, locals, new Set([step.op.id]), init, new Map(), built, given).lines);
        else if (!this.writeInverseStep(graph, step.op.id, attrs, locals, init, built, refs, lines)) return undefined;
      }
    } else {
      const needed = new Set(network.ops.map((op) => op.id.split('/')[0]!));
      lines.push(...this.writeScope(graph, attrs, locals, needed, init, new Map(), built, given).lines);
    }
    if (missing.length > 0) return void this.refuse(sampler, `its ${network.name} network reads ${missing[0]}, which it does not compute`);
    const result = refs.get(output);
    if (!result) return void this.refuse(sampler, `its ${network.name} network does not reach "${output}"`);
    const inputs = network.inputs.map((i, n) => `${args[n]} (${pyDocText(i.key)})`).join(', ');
    return [
      `    def ${method}(self, ${args.map((a) => `${a}, `).join('')}batch, ctx):`,
      `        """Sampler ${pyDocText(sampler)}, network ${network.name}: ${inputs || 'no inputs'} -> ${pyDocText(network.output)}."""`,
      ...lines.map((l) => `        ${l}`),
      `        return ${result}`,
    ].join('\n');
  }

  /** One step of a flow run backwards: the node's inputs from its outputs (and its conditioning inputs), as its kind's inverse writes them. */
  private writeInverseStep(view: ScopeView, id: string, attrs: Names, locals: Names, init: string[], built: Map<string, string>, refs: Map<string, string>, lines: string[]): boolean {
    const node = view.scope.nodes.find((n) => n.id === id)!;
    const def = getNodeDefinition(node.kind)!;
    const info = view.infos.get(id)!;
    const inv = def.invertible ?? def.torch!.inverts!;
    const edges = new Map(view.scope.edges.map((e) => [`${e.target.node}:${e.target.port}`, `${e.source.node}:${e.source.port}`]));
    const outputs = Object.fromEntries(inv.outputs.map((port) => [port, refs.get(`${id}:${port}`) ?? 'None']));
    const conditioning = Object.keys(info.inputs)
      .filter((port) => !inv.inputs.includes(port) && port !== 'logdet')
      .map((port) => [port, refs.get(edges.get(`${id}:${port}`) ?? '') ?? 'None'] as const);
    const name = locals.take(`${pyIdentifier(id)}_inverse`);
    const comment = `# ${pyDocText(id)}: ${node.kind}, backwards`;
    const recovered: Record<string, string> = {};
    if (def.torch?.module) {
      const { attr } = this.buildModule(view, id, node.kind, def, info, attrs, init, built);
      const args = [...Object.entries(outputs), ...conditioning].map(([port, expr]) => `${port}=${expr}`).join(', ');
      lines.push(`${name} = self.${attr}.inverse(${args})  ${comment}`);
      for (const port of inv.inputs) recovered[port] = inv.inputs.length === 1 ? name : `${name}[${pyString(port)}]`;
    } else if (def.torch?.inverse) {
      const exprs = def.torch.inverse(info.params, outputs, inferContext(info).inputs);
      for (const port of inv.inputs) {
        const portName = inv.inputs.length === 1 ? name : locals.take(`${name}_${pyIdentifier(port, '')}`);
        lines.push(`${portName} = ${exprs[port]}  ${comment}`);
        recovered[port] = portName;
      }
    } else {
      this.refuse(id, `kind ${node.kind} has no PyTorch inverse, so its flow cannot be sampled from an export`);
      return false;
    }
    for (const port of inv.inputs) {
      const source = edges.get(`${id}:${port}`);
      if (source) refs.set(source, recovered[port]!);
    }
    return true;
  }

  /**
   * Writes the forward statements of a scope's nodes in `needed` (graph
   * order), adding each node's construction to `init` the first time it is
   * built (`built` remembers attributes across objectives). Returns the
   * statements and the expression of every output (`node:port`).
   */
  private writeScope(
    view: ScopeView,
    attrs: Names,
    locals: Names,
    needed: ReadonlySet<string>,
    init: string[],
    moduleInputs: ReadonlyMap<string, string>,
    built = new Map<string, string>(),
    given: { refs?: Map<string, string>; fixed?: ReadonlySet<string>; missing?: string[] } = {},
  ): { lines: string[]; refs: Map<string, string> } {
    const lines: string[] = [];
    const refs = given.refs ?? new Map<string, string>();
    // Outputs a sampler network is given (its inputs): the node that makes them in training does not set them.
    const setRef = (key: string, expr: string) => {
      if (!given.fixed?.has(key)) refs.set(key, expr);
    };
    const edges = new Map(view.scope.edges.map((e) => [`${e.target.node}:${e.target.port}`, `${e.source.node}:${e.source.port}`]));
    const nodesById = new Map(view.scope.nodes.map((n) => [n.id, n]));
    // Graph order: the analysis records nodes in topological order.
    const order = [...view.infos.keys()].filter((id) => needed.has(id) && nodesById.has(id));
    const differentiable = this.gradientTargets(view, order, edges);
    const where = view.module ? view.module.id : undefined;
    for (const id of order) {
      const node = nodesById.get(id)!;
      const info = view.infos.get(id)!;
      const def = getNodeDefinition(node.kind)!;
      const inputs = new Map<string, string>();
      for (const port of info.ports.inputs) {
        const source = edges.get(`${id}:${port.name}`);
        const expr = source === undefined ? undefined : refs.get(source);
        if (expr !== undefined) inputs.set(port.name, expr);
        else if (source !== undefined) given.missing?.push(`${id}.${port.name}`);
      }
      const outPorts = info.ports.outputs.map((p) => p.name);
      const comment = `# ${pyDocText(id)}: ${node.kind}`;
      if (PLUMBING.has(node.kind)) {
        if (node.kind === 'ModuleInput') setRef(`${id}:x`, moduleInputs.get(id) ?? 'None');
        continue;
      }
      if (FEED_KINDS.has(node.kind)) {
        if (view.module) {
          this.refuse(id, `${node.kind} nodes inside a module are not exported; feed the module from the graph`, where);
          continue;
        }
        const name = locals.take(pyIdentifier(id));
        lines.push(`${name} = batch[${pyString(id)}]  ${comment}`);
        for (const port of outPorts) setRef(`${id}:${port}`, `${name}[${pyString(port)}]`);
        continue;
      }
      if (def.sampler || def.phase === 'sample') continue;
      let call: string;
      if (node.kind === 'Module') {
        const modId = String((info.params as { module: string }).module);
        const mod = this.modulesById.get(modId)!;
        const args = mod.nodes
          .filter((n) => n.kind === 'ModuleInput')
          .map((n) => {
            const name = String(n.params.name);
            return `${inputs.get(name) ?? 'None'}, `;
          })
          .join('');
        call = `self.${this.moduleAttrs.get(modId)}(${args}ctx)`;
        const outNames = mod.nodes.filter((n) => n.kind === 'ModuleOutput').map((n) => String(n.params.name));
        const name = locals.take(pyIdentifier(id));
        lines.push(`${name} = ${call}  # ${pyDocText(id)}: module ${pyDocText(modId)}`);
        for (const port of outNames) setRef(`${id}:${port}`, outNames.length === 1 ? name : `${name}[${pyString(port)}]`);
        continue;
      }
      if (view.module && isLossKind(def)) {
        this.refuse(id, `a loss inside a module is not exported yet; place the loss node in the graph, after the module`, where);
        continue;
      }
      const form = def.torch;
      if (!form || (!form.module && !form.inline)) {
        this.refuse(id, `kind ${node.kind} has no PyTorch form yet`, where);
        continue;
      }
      const ctx = inferContext(info);
      const shapes = ctx.inputs;
      const gradientLines = this.inputGradientLines(def, info.params, inputs, locals);
      lines.push(...gradientLines.lines);
      const name = locals.take(pyIdentifier(id));
      if (form.module) {
        const { attr, context } = this.buildModule(view, id, node.kind, def, info, attrs, init, built);
        const args = [...inputs].map(([port, expr]) => `${port}=${expr}`);
        if (gradientLines.name) args.push(`gradients=${gradientLines.name}`);
        if (context) args.push('ctx=ctx');
        lines.push(`${name} = self.${attr}(${args.join(', ')})  ${comment}`);
        for (const port of outPorts) setRef(`${id}:${port}`, outPorts.length === 1 ? name : `${name}[${pyString(port)}]`);
      } else {
        const exprs = form.inline!(info.params, Object.fromEntries(inputs), shapes);
        if (outPorts.length === 1) {
          lines.push(`${name} = ${exprs[outPorts[0]!]}  ${comment}`);
          setRef(`${id}:${outPorts[0]}`, name);
        } else {
          for (const port of outPorts) {
            const portName = locals.take(`${name}_${pyIdentifier(port, '')}`);
            lines.push(`${portName} = ${exprs[port]}  ${comment}.${port}`);
            setRef(`${id}:${port}`, portName);
          }
        }
      }
      for (const port of outPorts) {
        if (!differentiable.has(`${id}:${port}`)) continue;
        const expr = refs.get(`${id}:${port}`)!;
        const target = locals.take(`${name}_${pyIdentifier(port, '')}`);
        lines.push(`${target} = gc.differentiable(${expr})  # its gradient is taken below`);
        refs.set(`${id}:${port}`, target);
      }
    }
    return { lines, refs };
  }

  /** The attribute of a node with a module form, built (added to `init`, its weights named, its ties made) the first time it is asked for. */
  private buildModule(
    view: ScopeView,
    id: string,
    kind: string,
    def: NodeDefinition,
    info: NodeInfo,
    attrs: Names,
    init: string[],
    built: Map<string, string>,
  ): { attr: string; context: boolean } {
    const ctx = inferContext(info);
    const form = def.torch!;
    const spec = form.module!(ctx);
    let attr = built.get(`${view.varPrefix}${id}`);
    if (!attr) {
      attr = attrs.take(pyIdentifier(id));
      built.set(`${view.varPrefix}${id}`, attr);
      init.push(`self.${attr} = gc.${spec.class}(${pyKeywords(spec.args)})  # ${pyDocText(id)}: ${kind}`);
      const weights = form.weights?.(ctx) ?? {};
      this.nameVariables(view, id, attr, weights);
      init.push(...this.tieLines(view, id, attr, def, ctx, weights, built));
    }
    return { attr, context: spec.context === true };
  }

  /** Outputs (`node:port`) that a node of `order` differentiates with respect to (a gradient penalty's interpolates). */
  private gradientTargets(view: ScopeView, order: string[], edges: Map<string, string>): Set<string> {
    const out = new Set<string>();
    const nodesById = new Map(view.scope.nodes.map((n) => [n.id, n]));
    for (const id of order) {
      const def = getNodeDefinition(nodesById.get(id)!.kind);
      const info = view.infos.get(id)!;
      for (const g of def?.inputGradients?.(info.params) ?? []) {
        const source = edges.get(`${id}:${g.wrt}`);
        if (source) out.add(source);
      }
    }
    return out;
  }

  /** The gradients a node asks for (InputGradient), as torch.autograd.grad with create_graph, so training differentiates them again. */
  private inputGradientLines(def: NodeDefinition, params: unknown, inputs: Map<string, string>, locals: Names): { lines: string[]; name?: string } {
    const wanted = def.inputGradients?.(params) ?? [];
    if (wanted.length === 0) return { lines: [] };
    const name = locals.take('gradients');
    const items = wanted.map((g) => `${pyString(g.name)}: torch.autograd.grad(${inputs.get(g.of)}.sum(), ${inputs.get(g.wrt)}, create_graph=True)[0]`);
    return { lines: [`${name} = {${items.join(', ')}}`], name };
  }

  /** A tied node uses the lender's parameter itself: one nn.Parameter, registered under the name of whichever module comes first. */
  private tieLines(
    view: ScopeView,
    id: string,
    attr: string,
    def: NodeDefinition,
    ctx: ReturnType<typeof inferContext>,
    weights: Readonly<Record<string, readonly [string, TorchLayout]>>,
    built: Map<string, string>,
  ): string[] {
    const lines: string[] = [];
    for (const spec of def.variables?.(ctx) ?? []) {
      if (!spec.tied) continue;
      const lenderId = spec.tied.node;
      const lenderNode = view.scope.nodes.find((n) => n.id === lenderId);
      const lenderDef = lenderNode && getNodeDefinition(lenderNode.kind);
      const lenderInfo = view.infos.get(lenderId);
      const lenderAttr = built.get(`${view.varPrefix}${lenderId}`);
      if (!lenderDef?.lends || !lenderInfo || !lenderAttr || !lenderDef.torch?.weights) {
        this.refuse(id, `its weights are tied to "${lenderId}", which is built after it or has no PyTorch form; place the lender first`, view.module?.id);
        continue;
      }
      const [lenderName, lenderLayout] = lenderDef.torch.weights(inferContext(lenderInfo))[lenderDef.lends] ?? [];
      const [ownName, ownLayout] = weights[spec.name] ?? [];
      const tied = `# tied: ${pyDocText(id)} uses ${pyDocText(lenderId)}'s ${lenderDef.lends}`;
      if (lenderName && ownName && lenderLayout === ownLayout) {
        lines.push(`self.${attr}.${ownName} = self.${lenderAttr}.${lenderName}  ${tied}`);
      } else if (lenderName && lenderLayout === 'linear' && ownLayout === 'same' && def.torch?.tiesTransposed) {
        // The lender holds nn.Linear's [out, in], the transpose of the matrix this node uses as its own [out, in].
        lines.push(`self.${attr}.tie(self.${lenderAttr}.${lenderName}, transposed=True)  ${tied}, transposed`);
      } else {
        this.refuse(id, `its tie to "${lenderId}" would need the lent matrix laid out otherwise in PyTorch, which export does not write yet`, view.module?.id);
      }
    }
    return lines;
  }
}

/** What a kind's torch form is asked with: the node's params and its connected inputs' shapes. */
function inferContext(info: NodeInfo): { params: unknown; inputs: Record<string, Shape> } {
  return { params: info.params, inputs: Object.fromEntries(Object.entries(info.inputs).map(([port, value]) => [port, value.shape])) };
}

/** The source node:port of the edge into `node`'s `port` in a scope. */
function inEdgeSource(scope: GraphScope, node: string, port: string): string | undefined {
  const e = scope.edges.find((edge) => edge.target.node === node && edge.target.port === port);
  return e ? `${e.source.node}:${e.source.port}` : undefined;
}

/** Text from the document inside a docstring or comment: printable ASCII, no quotes that could end the docstring, one line. */
export function pyDocText(text: string): string {
  const literal = pyString(text.replace(/\s+/g, ' ').trim());
  // The literal's escapes keep it ASCII and its backslashes escaped; a double quote becomes a single one, so no docstring can end early.
  return literal.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, "'");
}

/** A docstring of document text, wrapped at 100 columns. */
function docstring(text: string, indent: string): string[] {
  const words = pyDocText(text).split(' ');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && indent.length + line.length + word.length + 1 > 100) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  if (lines.length === 1) return [`${indent}"""${lines[0]}"""`];
  return [`${indent}"""`, ...lines.map((l) => `${indent}${l}`), `${indent}"""`];
}

function initLiteral(init: Init): string {
  const value: Record<string, PyValue> = { ...init } as Record<string, PyValue>;
  return `{${Object.entries(value)
    .map(([k, v]) => `${pyString(k)}: ${pyLiteral(v)}`)
    .join(', ')}}`;
}

/** model.py for a compiled program, or why some node cannot be written. */
export function writeTorchModel(program: Program): TorchModelResult {
  const writer = new ModelWriter(program, program.document);
  const model = writer.write();
  if (writer.diagnostics.length > 0) return { ok: false, diagnostics: writer.diagnostics };
  // Every variable must have a name, or the weights could not all be written.
  const named = new Set(model.parameters.map((p) => p.key));
  const unnamed = program.variables.filter((v) => !named.has(v.key));
  if (unnamed.length > 0) {
    return {
      ok: false,
      diagnostics: unnamed.map((v) => diagnostic('GC301', { to: 'PyTorch', reason: `its weights "${v.key}" have no name in the PyTorch module (its kind's torch form does not map them)` }, v.origin.module ? { node: v.origin.node, module: v.origin.module } : { node: v.origin.node })),
    };
  }
  return { ok: true, model };
}
