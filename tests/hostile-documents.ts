/** Hostile graph documents, built in code: for tests and bench/hostile-inputs.ts. */

const at = { x: 0, y: 0 };

/**
 * `modules` modules, each placing the next `placements` times in a chain;
 * the last holds one Dense. The top level places the first once, so the
 * graph expands to placements^(modules-1) Dense ops.
 */
export function moduleBomb(modules = 15, placements = 10): Record<string, unknown> {
  const mods = Array.from({ length: modules }, (_, i) => {
    const inner = i === modules - 1 ? [{ id: 'fc', kind: 'Dense', params: { units: 4 }, position: at }] : Array.from({ length: placements }, (_, k) => ({ id: `p${k}`, kind: 'Module', params: { module: `m${i + 1}` }, position: at }));
    const chain = ['in', ...inner.map((n) => n.id), 'out'];
    return {
      id: `m${i}`,
      name: `M${i}`,
      nodes: [{ id: 'in', kind: 'ModuleInput', params: { name: 'x', shape: [4] }, position: at }, ...inner, { id: 'out', kind: 'ModuleOutput', params: { name: 'y' }, position: at }],
      edges: chain.slice(1).map((id, k) => ({ id: `e${k}`, source: { node: chain[k]!, port: k === 0 ? 'x' : 'y' }, target: { node: id, port: 'x' } })),
    };
  });
  return {
    format: 'gencomposer.graph',
    version: 3,
    meta: { name: `module bomb ${modules} x ${placements}` },
    nodes: [
      { id: 'z', kind: 'Noise', params: { shape: [4] }, position: at },
      { id: 'top', kind: 'Module', params: { module: 'm0' }, position: at },
    ],
    edges: [{ id: 'e0', source: { node: 'z', port: 'z' }, target: { node: 'top', port: 'x' } }],
    modules: mods,
  };
}

/**
 * The smallest trainable graph over a Data node of the user's own: csv and
 * (flat) images reconstruct x through a Dense; text predicts the next
 * character through an Embedding.
 */
export function userDataGraph(data: Record<string, unknown>): Record<string, unknown> {
  const edge = (id: string, from: string, to: string) => {
    const [sn, sp] = from.split('.') as [string, string];
    const [tn, tp] = to.split('.') as [string, string];
    return { id, source: { node: sn, port: sp }, target: { node: tn, port: tp } };
  };
  const text = data.dataset === 'text';
  const features = data.dataset === 'csv' ? Number(data.columns ?? 2) : Number(data.height ?? 28) * Number(data.width ?? 28) * Number(data.channels ?? 1);
  return {
    format: 'gencomposer.graph',
    version: 3,
    meta: { name: `hostile ${String(data.dataset)}` },
    nodes: text
      ? [
          { id: 'data', kind: 'Data', params: data, position: at },
          { id: 'embed', kind: 'Embedding', params: { vocabSize: 28, dim: 28 }, position: at },
          { id: 'loss', kind: 'NextTokenCrossEntropy', params: {}, position: at },
        ]
      : [
          { id: 'data', kind: 'Data', params: data.dataset === 'images' ? { layout: 'flat', ...data } : data, position: at },
          { id: 'fc', kind: 'Dense', params: { units: features }, position: at },
          { id: 'loss', kind: 'ReconstructionLoss', params: { loss: 'mse' }, position: at },
        ],
    edges: text
      ? [edge('e1', 'data.x', 'embed.tokens'), edge('e2', 'embed.y', 'loss.logits'), edge('e3', 'data.y', 'loss.targets')]
      : [edge('e1', 'data.x', 'fc.x'), edge('e2', 'fc.y', 'loss.prediction'), edge('e3', 'data.x', 'loss.target')],
    training: { batchSize: 8 },
  };
}
