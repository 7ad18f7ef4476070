/** A small helper to write block expansions as chains of inner nodes. */
import type { Expansion } from './types.ts';

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
