/** A small helper to write block expansions as chains of inner nodes. */
import type { Shape } from '../base/shape.ts';
import type { Expansion, TorchLayout } from './types.ts';

/** An inner node's output, or one of the block's own inputs. */
export type Ref = readonly [node: string, port: string] | { readonly input: string };

export class ExpansionBuilder {
  private readonly nodes: { id: string; kind: string; params: Record<string, unknown> }[] = [];
  private readonly edges: { from: readonly [string, string]; to: readonly [string, string] }[] = [];
  private readonly inputs: Record<string, (readonly [string, string])[]> = {};
  private readonly outputs: Record<string, readonly [string, string]> = {};

  /** Adds a node and feeds each of its named inputs; returns its output `outPort`. */
  add(id: string, kind: string, params: Record<string, unknown>, feeds: Record<string, Ref>, outPort = 'y'): Ref {
    this.nodes.push({ id, kind, params });
    for (const [port, from] of Object.entries(feeds)) {
      if ('input' in from) (this.inputs[from.input] ??= []).push([id, port]);
      else this.edges.push({ from, to: [id, port] });
    }
    return [id, outPort];
  }

  /** Adds a node with one input `x` fed from `from`. */
  then(from: Ref, id: string, kind: string, params: Record<string, unknown> = {}): Ref {
    return this.add(id, kind, params, { x: from });
  }

  output(port: string, from: Ref): void {
    if ('input' in from) throw new Error(`block output "${port}" cannot be its input "${from.input}" directly`);
    this.outputs[port] = from;
  }

  build(): Expansion {
    return { nodes: this.nodes, edges: this.edges, inputs: this.inputs, outputs: this.outputs };
  }
}

/** A block's `torch.weights`: its inner nodes' variables (`fc0/kernel`) by their PyTorch parameter names (`body.0.weight`). */
export type TorchWeightMap = Record<string, readonly [string, TorchLayout]>;

/** An inner Dense or convolution `ours` as the PyTorch layer `torch` (a prefix with its dot, e.g. 'body.0.'). */
export function torchLayer(ours: string, torch: string, kernel: 'linear' | 'conv' | 'convT', bias = true): TorchWeightMap {
  return { [`${ours}/kernel`]: [`${torch}weight`, kernel], ...(bias ? { [`${ours}/bias`]: [`${torch}bias`, 'same'] as const } : {}) };
}

/** An inner normalisation's gamma and beta as a PyTorch norm's weight and bias. */
export function torchNorm(ours: string, torch: string): TorchWeightMap {
  return { [`${ours}/gamma`]: [`${torch}weight`, 'same'], [`${ours}/beta`]: [`${torch}bias`, 'same'] };
}

/** A block's inner block `ours` (its own map) placed under the PyTorch prefix `torch`. */
export function torchNested(ours: string, torch: string, inner: TorchWeightMap): TorchWeightMap {
  return Object.fromEntries(Object.entries(inner).map(([path, [name, layout]]) => [`${ours}/${path}`, [`${torch}${name}`, layout] as const]));
}

/** One example's shape (the batch axis dropped) as numbers, for a module's constructor. */
export function fixedShape(shape: Shape, port: string): number[] {
  return shape.slice(1).map((d) => {
    if (typeof d !== 'number') throw new Error(`${port}: the PyTorch module needs fixed sizes, got ${String(d)}`);
    return d;
  });
}
