import { z } from 'zod';
import { checkLogdet, input, lastDim, logdetInput, logdetOutput, mismatch, zActivation, zSize } from './common.ts';
import { torchLayer, type TorchWeightMap } from './expansion-builder.ts';
import { defineNode, type Expansion } from './types.ts';

/**
 * One RealNVP affine coupling layer over [B, D]: half of the features pass
 * unchanged and condition an MLP that scales and shifts the other half.
 * It is invertible however complex the MLP, because the MLP only ever sees
 * the untouched half.
 */
export const couplingLayerNode = defineNode({
  kind: 'CouplingLayer',
  category: 'block',
  title: 'Coupling layer',
  description: 'A RealNVP affine coupling: one half of x drives an MLP that scales and shifts the other half; exactly invertible, with a cheap log-determinant.',
  params: z.strictObject({
    /** Width of the hidden layers of the s/t network. */
    hidden: zSize(4096, 64),
    /** Hidden layers of the s/t network (0: s and t are linear in the conditioning half). */
    layers: z.int().min(0).max(8).default(2),
    activation: zActivation.default('relu'),
    /** Transform the first half instead of the second; alternate it between layers. */
    flip: z.boolean().default(false),
    /** Reverse the features afterwards, another way to alternate the halves. */
    permute: z.enum(['none', 'reverse']).default('none'),
    /** Soft tanh bound on the log-scale s (see AffineCoupling); 0 turns it off. */
    clamp: z.number().min(0).max(100).default(2),
  }),
  ports: {
    inputs: [{ name: 'x', type: 'tensor', doc: '[B, D]' }, logdetInput],
    outputs: [{ name: 'y', type: 'tensor' }, logdetOutput],
  },
  infer: ({ inputs }) => {
    const x = input(inputs, 'x');
    if (x.length !== 2 || x[0] !== 'B' || typeof x[1] !== 'number' || x[1] < 2) throw mismatch('x', '[B, D] with D ≥ 2', x);
    checkLogdet(inputs);
    return { y: x, logdet: ['B'] };
  },
  expand: ({ inputs, params }): Expansion => {
    const d = input(inputs, 'x')[1] as number;
    const first = Math.floor(d / 2);
    // Split's a is the first `first` features; the conditioning half is the one not transformed.
    const [condition, transformed] = params.flip ? (['b', 'a'] as const) : (['a', 'b'] as const);
    const units = params.flip ? first : d - first;
    const nodes: Expansion['nodes'][number][] = [{ id: 'split', kind: 'Split', params: { axis: -1, at: first } }];
    const edges: Expansion['edges'][number][] = [];
    let trunk: [string, string] = ['split', condition];
    for (let i = 1; i <= params.layers; i++) {
      nodes.push({ id: `h${i}`, kind: 'Dense', params: { units: params.hidden, activation: params.activation } });
      edges.push({ from: trunk, to: [`h${i}`, 'x'] });
      trunk = [`h${i}`, 'y'];
    }
    nodes.push(
      // Zero-initialised heads make the coupling start as the identity (Glow).
      { id: 's', kind: 'Dense', params: { units, kernelInit: 'zeros' } },
      { id: 't', kind: 'Dense', params: { units, kernelInit: 'zeros' } },
      { id: 'coupling', kind: 'AffineCoupling', params: { clamp: params.clamp } },
      { id: 'concat', kind: 'Concat', params: { axis: -1 } },
    );
    edges.push(
      { from: trunk, to: ['s', 'x'] },
      { from: trunk, to: ['t', 'x'] },
      { from: ['split', transformed], to: ['coupling', 'x'] },
      { from: ['s', 'y'], to: ['coupling', 's'] },
      { from: ['t', 'y'], to: ['coupling', 't'] },
      // Back in the original order, so flip only changes which half moved.
      { from: params.flip ? ['coupling', 'y'] : ['split', 'a'], to: ['concat', 'a'] },
      { from: params.flip ? ['split', 'b'] : ['coupling', 'y'], to: ['concat', 'b'] },
    );
    let outputs: Expansion['outputs'] = { y: ['concat', 'y'], logdet: ['coupling', 'logdet'] };
    if (params.permute === 'reverse') {
      nodes.push({ id: 'permute', kind: 'Permute', params: { mode: 'reverse' } });
      edges.push({ from: ['concat', 'y'], to: ['permute', 'x'] }, { from: ['coupling', 'logdet'], to: ['permute', 'logdet'] });
      outputs = { y: ['permute', 'y'], logdet: ['permute', 'logdet'] };
    }
    return { nodes, edges, inputs: { x: [['split', 'x']], logdet: [['coupling', 'logdet']] }, outputs };
  },
  torch: {
    inverts: { inputs: ['x'], outputs: ['y'] },
    module: ({ inputs, params }) => ({
      class: 'CouplingLayer',
      args: {
        features: lastDim(input(inputs, 'x'), 'x'),
        hidden: params.hidden,
        layers: params.layers,
        activation: params.activation,
        flip: params.flip,
        permute: params.permute,
        clamp: params.clamp,
      },
    }),
    weights: ({ params }) =>
      Object.assign(
        {},
        ...Array.from({ length: params.layers }, (_, i) => torchLayer(`h${i + 1}`, `net.${i}.`, 'linear')),
        torchLayer('s', 's.', 'linear'),
        torchLayer('t', 't.', 'linear'),
      ) as TorchWeightMap,
  },
  summary: (p) => `${p.layers}×${p.hidden} ${p.activation}${p.flip ? ' · flip' : ''}${p.permute === 'reverse' ? ' · reverse' : ''}`,
});
