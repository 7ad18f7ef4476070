/** A VAE from Dense layers, with no block and no family: what the VAE preset is, built by hand. */
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { makeDocument, type NodeSketch } from '../documents.ts';

export interface HandVaeOptions {
  rec?: Record<string, unknown>;
  kl?: Record<string, unknown>;
  /** The value the prior sampler reads as its output (default the decoder's logits, `out.y`). */
  sampled?: string;
}

export function handVae(options: HandVaeOptions = {}): GraphDocument {
  const nodes: NodeSketch[] = [
    { id: 'data', kind: 'Data', params: { dataset: 'mnist', layout: 'flat', range: 'binary' } },
    { id: 'h', kind: 'Dense', params: { units: 64, activation: 'relu' } },
    { id: 'mu', kind: 'Dense', params: { units: 4 } },
    { id: 'logvar', kind: 'Dense', params: { units: 4 } },
    { id: 'rep', kind: 'Reparameterize' },
    { id: 'dh', kind: 'Dense', params: { units: 64, activation: 'relu' } },
    { id: 'out', kind: 'Dense', params: { units: 784 } },
    { id: 'rec', kind: 'ReconstructionLoss', params: options.rec ?? {} },
    { id: 'kl', kind: 'KLDivergence', params: options.kl ?? {} },
    { id: 'sampler', kind: 'PriorSampler', params: { transform: 'sigmoid' } },
  ];
  const edges = [
    'data.x->h.x', 'h.y->mu.x', 'h.y->logvar.x', 'mu.y->rep.mu', 'logvar.y->rep.logvar', 'rep.z->dh.x', 'dh.y->out.x',
    'out.y->rec.prediction', 'data.x->rec.target', 'mu.y->kl.mu', 'logvar.y->kl.logvar', 'rep.z->sampler.latent', `${options.sampled ?? 'out.y'}->sampler.output`,
  ];
  return makeDocument(nodes, edges);
}
