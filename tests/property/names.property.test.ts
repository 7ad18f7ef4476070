/**
 * Names are inert: a document whose node ids, edge ids, module ids, module
 * port names, objective ids and labels are renamed, consistently, to names
 * Object.prototype also has (`__proto__`, `constructor`, `toString`, ...)
 * analyses, compiles and trains exactly as it does with its own names.
 * All of these names are valid ids: the id pattern allows a leading `_`.
 */
import '../helpers.ts';
import { readdirSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { loadText, loadValue } from '../../src/core/graph/load.ts';
import { zId, type GraphDocument, type GraphEdge, type GraphNode } from '../../src/core/graph/schema.ts';
import { isLossKind } from '../../src/core/nodes/types.ts';
import { getNodeDefinition } from '../../src/core/nodes/registry.ts';
import { analyze } from '../../src/core/shapes/analyze.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { TrainingSession } from '../../src/core/train/session.ts';

const PROTO_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
] as const;

type Rename = (name: string) => string;

/** The names a renaming must cover: each kind of name the document holds, per scope. */
interface Names {
  nodes: string[];
  edges: string[];
  modules: string[];
  objectives: string[];
  /** Per module: its nodes, its edges and its port names. */
  scopes: Map<string, { nodes: string[]; edges: string[]; ports: string[] }>;
}

/** Loss nodes and layers that add a loss (a vector quantizer) name their objective. */
const isLoss = (node: GraphNode) => {
  const def = getNodeDefinition(node.kind);
  return def !== undefined && isLossKind(def);
};
const portName = (node: GraphNode) => (node.kind === 'ModuleInput' || node.kind === 'ModuleOutput' ? (node.params.name as string | undefined) : undefined);

function namesOf(doc: GraphDocument): Names {
  const objectives = new Set(doc.training.objectives.map((o) => o.id));
  for (const level of [doc, ...doc.modules]) for (const node of level.nodes) if (isLoss(node)) objectives.add((node.params.objective as string | undefined) ?? 'main');
  return {
    nodes: doc.nodes.map((n) => n.id),
    edges: doc.edges.map((e) => e.id),
    modules: doc.modules.map((m) => m.id),
    objectives: [...objectives],
    scopes: new Map(
      doc.modules.map((m) => [
        m.id,
        { nodes: m.nodes.map((n) => n.id), edges: m.edges.map((e) => e.id), ports: [...new Set(m.nodes.flatMap((n) => portName(n) ?? []))] },
      ]),
    ),
  };
}

/** A renaming of `names` (one-to-one within each kind and scope) from a stream of picks. */
type Picks = (count: number, avoid: ReadonlySet<string>) => Rename;

function renameDocument(doc: GraphDocument, names: Names, pick: Picks): { doc: GraphDocument; objective: Rename } {
  const top = pick(names.nodes.length + names.modules.length, new Set([...names.nodes, ...names.modules]));
  // Node and module ids share one renaming: `updates` names either, so they stay apart.
  const node: Rename = top;
  const module: Rename = top;
  const edge = pick(names.edges.length, new Set(names.edges));
  const objective = pick(names.objectives.length, new Set(names.objectives));
  const inner = new Map([...names.scopes].map(([id, s]) => [id, { node: pick(s.nodes.length, new Set(s.nodes)), edge: pick(s.edges.length, new Set(s.edges)), port: pick(s.ports.length, new Set(s.ports)) }]));
  const instanceOf = (level: readonly GraphNode[]) => new Map(level.filter((n) => n.kind === 'Module').map((n) => [n.id, n.params.module as string]));
  const label = pick(1, new Set());

  const renameNodes = (nodes: readonly GraphNode[], id: Rename, ports?: Rename): GraphNode[] =>
    nodes.map((n) => {
      const params = { ...n.params };
      if (n.kind === 'Module' && typeof params.module === 'string') params.module = module(params.module);
      if (isLoss(n)) params.objective = objective((params.objective as string | undefined) ?? 'main');
      if (ports && portName(n) !== undefined) params.name = ports(portName(n)!);
      // Weight tying names a node of the same level.
      if (typeof params.tiedTo === 'string' && params.tiedTo !== '') params.tiedTo = id(params.tiedTo);
      return { ...n, id: id(n.id), label: label('label'), params };
    });
  const renameEdges = (edges: readonly GraphEdge[], nodes: readonly GraphNode[], id: Rename, edgeId: Rename): GraphEdge[] => {
    const instances = instanceOf(nodes);
    const port = (nodeId: string, p: string) => {
      const mod = instances.get(nodeId);
      const ports = mod === undefined ? undefined : inner.get(mod)?.port;
      return ports ? ports(p) : p;
    };
    return edges.map((e) => ({
      id: edgeId(e.id),
      source: { node: id(e.source.node), port: port(e.source.node, e.source.port) },
      target: { node: id(e.target.node), port: port(e.target.node, e.target.port) },
    }));
  };

  const renamed: GraphDocument = {
    ...doc,
    nodes: renameNodes(doc.nodes, node),
    edges: renameEdges(doc.edges, doc.nodes, node, edge),
    modules: doc.modules.map((m) => {
      const r = inner.get(m.id)!;
      return { ...m, id: module(m.id), nodes: renameNodes(m.nodes, r.node, r.port), edges: renameEdges(m.edges, m.nodes, r.node, r.edge) };
    }),
    training: {
      ...doc.training,
      objectives: doc.training.objectives.map((o) => ({ ...o, id: objective(o.id), updates: o.updates.map((u) => top(u)) })),
    },
  };
  return { doc: renamed, objective };
}

/**
 * fast-check picks: for each name, whether it becomes a prototype name, and
 * which; names that stay keep their own spelling (none of them is one).
 */
const orderArb = fc
  .tuple(fc.boolean(), fc.shuffledSubarray([...PROTO_NAMES], { minLength: PROTO_NAMES.length, maxLength: PROTO_NAMES.length }))
  // Half the time `__proto__` comes first: the name that breaks the most when it is mishandled.
  .map(([protoFirst, order]) => (protoFirst ? ['__proto__', ...order.filter((n) => n !== '__proto__')] : order));
const picksArb = fc.array(fc.record({ use: fc.boolean(), order: orderArb }), { minLength: 16, maxLength: 16 });

function picksFrom(draws: { use: boolean; order: string[] }[]): Picks {
  let next = 0;
  return (_count, avoid) => {
    const draw = draws[next++ % draws.length]!;
    const chosen = new Map<string, string>();
    let free = draw.order.filter((p) => !avoid.has(p));
    let flip = draw.use;
    return (name) => {
      let to = chosen.get(name);
      if (to === undefined) {
        // Alternate between renaming and keeping, starting from the draw's choice, while prototype names last.
        to = flip && free.length > 0 ? free.shift()! : name;
        flip = !flip;
        if (to !== name) free = free.filter((p) => p !== to);
        chosen.set(name, to);
      }
      return to;
    };
  };
}

function load(path: string): GraphDocument {
  const loaded = loadText(readFileSync(path, 'utf8'));
  if (!loaded.ok) throw new Error(`${path}: ${JSON.stringify(loaded.diagnostics)}`);
  return loaded.document;
}

/** What must not depend on names: codes, shapes in analysis order, counts, and what compiles. */
function outcome(doc: GraphDocument) {
  const analysis = analyze(doc);
  const compiled = compile(doc, analysis);
  return {
    codes: analysis.diagnostics.map((d) => `${d.code}:${d.severity}:${d.port === undefined ? '' : 'port'}`),
    values: [...analysis.values.values()],
    parameterCount: analysis.parameterCount,
    memoryBytes: analysis.memoryBytes,
    compiled: compiled.ok
      ? {
          variables: compiled.program.variables.map((v) => v.shape),
          objectives: compiled.program.objectives.map((o) => [o.losses.length, o.ops.length, o.variables.length, o.share]),
          samplers: compiled.program.samplers.map((s) => s.kind),
          feeds: compiled.program.feeds.length,
        }
      : compiled.diagnostics.map((d) => d.code),
  };
}

const analysed = [
  ...readdirSync('graph-presets').filter((f) => f.endsWith('.json')).map((f) => `graph-presets/${f}`),
  ...readdirSync('tests/fixtures/broken')
    .filter((f) => f.endsWith('.json'))
    .map((f) => `tests/fixtures/broken/${f}`)
    .filter((f) => loadText(readFileSync(f, 'utf8')).ok),
];

describe('names Object.prototype also has, in place of a document’s own', () => {
  it('are valid ids', () => {
    for (const name of PROTO_NAMES) expect(zId.safeParse(name).success).toBe(true);
  });

  it('presets and fixtures analyse and compile the same, and load back after saving', () => {
    const docs = analysed.map((path) => ({ path, doc: load(path) }));
    const expected = docs.map(({ doc }) => outcome(doc));
    let renamedSome = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: docs.length - 1 }), picksArb, (i, draws) => {
        const { doc } = docs[i]!;
        const { doc: renamed } = renameDocument(doc, namesOf(doc), picksFrom(draws));
        const reloaded = loadValue(JSON.parse(JSON.stringify(renamed)));
        expect(reloaded.ok).toBe(true);
        if (!reloaded.ok) return;
        if (JSON.stringify(renamed.nodes) !== JSON.stringify(doc.nodes)) renamedSome++;
        expect(outcome(reloaded.document)).toEqual(expected[i]);
      }),
      { numRuns: 60 },
    );
    expect(renamedSome).toBeGreaterThan(30);
  });

  it('a GAN with a shared module and two objectives trains to the same losses and frees its batches', async () => {
    const doc = load('graph-presets/gan-2d.json');
    const small = { ...doc, training: { ...doc.training, batchSize: 16 } };
    const noAssets = async () => {
      throw new Error('no assets here');
    };
    const train = async (document: GraphDocument) => {
      const compiled = compile(document);
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
      const session = new TrainingSession(compiled.program, streamBatches(await openProgramData(compiled.program, noAssets)));
      session.trainStep();
      session.trainStep();
      await session.readLosses();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 4; i++) session.trainStep();
      const report = await session.readLosses();
      expect(tf.memory().numTensors).toBe(before);
      session.dispose();
      return report;
    };
    const expected = await train(small);
    const names = namesOf(small);
    await fc.assert(
      fc.asyncProperty(picksArb, async (draws) => {
        const { doc: renamed, objective } = renameDocument(small, names, picksFrom(draws));
        const report = await train(renamed);
        expect(Object.keys(report.objectives)).toEqual(Object.keys(expected.objectives).map(objective));
        expect(Object.values(report.objectives).map((o) => [o.total, Object.values(o.losses), o.steps])).toEqual(
          Object.values(expected.objectives).map((o) => [o.total, Object.values(o.losses), o.steps]),
        );
      }),
      { numRuns: 12 },
    );
  });
});
