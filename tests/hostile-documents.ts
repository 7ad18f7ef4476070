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
      edges: chain.slice(1).map((id, k) => ({ id: `e${k}`, source: { node: chain[k]!, port: k === 0 ? 'x' : i === modules - 1 ? 'y' : 'y' }, target: { node: id, port: 'x' } })),
    };
  });
  return {
    format: 'gencomposer.graph',
    version: 2,
    meta: { name: `module bomb ${modules} x ${placements}` },
    nodes: [
      { id: 'z', kind: 'Noise', params: { shape: [4] }, position: at },
      { id: 'top', kind: 'Module', params: { module: 'm0' }, position: at },
    ],
    edges: [{ id: 'e0', source: { node: 'z', port: 'z' }, target: { node: 'top', port: 'x' } }],
    modules: mods,
  };
}
