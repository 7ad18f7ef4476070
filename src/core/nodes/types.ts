/**
 * What a node kind is: one plain object per kind, registered in `registry.ts`.
 *
 * A kind either builds its outputs from TF.js ops (`forward`) or expands into
 * a subgraph of other kinds (`expand`), so one compiler path serves all.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { Shape } from '../base/shape.ts';
import type { SamplerDefinition } from './sampler-types.ts';
import type { RandomSource } from '../base/random.ts';
import type { PyValue } from '../base/python.ts';
import type { Constants } from './constants.ts';

/** What flows along an edge; an edge joins ports of the same type. */
export type PortType = 'tensor' | 'tokens' | 'schedule' | 'loss';

export interface PortSpec {
  name: string;
  type: PortType;
  /** An optional input may stay unconnected. */
  optional?: boolean;
  doc?: string;
}

export interface NodePorts {
  inputs: readonly PortSpec[];
  outputs: readonly PortSpec[];
}

export type NodeCategory = 'data' | 'layer' | 'block' | 'flow' | 'objective' | 'sampler' | 'module';

/** Each category's title, in the order the palette and the node reference list them. */
export const CATEGORY_TITLES: Readonly<Record<NodeCategory, string>> = {
  data: 'Data',
  layer: 'Layers',
  block: 'Blocks',
  flow: 'Flow layers',
  objective: 'Objectives',
  sampler: 'Samplers',
  module: 'Modules',
};

export interface InferContext<P> {
  params: P;
  /** Shapes of the connected inputs; unconnected optional inputs are absent. */
  inputs: Readonly<Record<string, Shape>>;
}

export type Init =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  | { kind: 'normal'; std: number }
  /** Glorot/Xavier uniform over the given fan-in and fan-out. */
  | { kind: 'glorotUniform'; fanIn: number; fanOut: number }
  /** Uniform in [−limit, limit] (PyTorch's recurrent layers use limit 1/√hidden). */
  | { kind: 'uniform'; limit: number };

export interface VariableSpec {
  name: string;
  shape: number[];
  init: Init;
  /**
   * Weight tying: this variable is another node's, the one that node lends
   * (`lends`), so both uses are one tf.Variable (one parameter, gradients
   * summed). `param` names this node's param that holds the lender's id (a
   * node of the same graph or module body), `node` is that id; `shape` is
   * the shape the lent variable must have. The analysis resolves the
   * reference or reports GC119.
   */
  tied?: { param: string; node: string };
}

/** Random tensors from a seeded generator (in JavaScript, or on the GPU for a WebGPU training step). */
export type { RandomSource };

export interface ForwardContext<P> {
  params: P;
  inputs: Readonly<Record<string, tf.Tensor>>;
  vars: Readonly<Record<string, tf.Tensor>>;
  /** Concrete shapes of this node's outputs for the running batch. */
  outputShapes: Readonly<Record<string, number[]>>;
  batchSize: number;
  training: boolean;
  random: RandomSource;
  /** Tensors that are the same every step, made once per session (see constants.ts): never dispose them. Absent: made anew (freshConstants). */
  constants?: Constants;
  /** Tensors supplied from outside the graph (a Data or Input node's batch), by port. */
  feeds: Readonly<Record<string, tf.Tensor>>;
  /** The gradients this kind asks for (`inputGradients`), by name. */
  gradients?: Readonly<Record<string, tf.Tensor>>;
  /** Updates the objective being trained has taken before this step (schedules read it); absent outside training and evaluation. */
  step?: number;
  /**
   * Whether the kind may run its fused kernels (`fusedKernels`): false where
   * the backend has none, and where the ops are differentiated twice (an
   * input gradient's ops), since the fused kernels' own gradients are not
   * differentiable. Absent: unfused.
   */
  fused?: boolean;
}

/**
 * A gradient a kind needs of one of its inputs with respect to another:
 * d sum(of) / d wrt, per element of `wrt` (a gradient penalty's ∇D(x̂)).
 */
export interface InputGradient {
  /** The name the forward finds it under in `gradients`. */
  name: string;
  /** The input port whose sum is differentiated. */
  of: string;
  /** The input port it is differentiated with respect to; `of` must depend on it. */
  wrt: string;
}

/** The subgraph a block stands for. Inner ids are local to the block. */
export interface Expansion {
  nodes: readonly { id: string; kind: string; params: Record<string, unknown> }[];
  edges: readonly { from: readonly [string, string]; to: readonly [string, string] }[];
  /** Each outer input feeds these inner (node, port) inputs. */
  inputs: Readonly<Record<string, readonly (readonly [string, string])[]>>;
  /** Each outer output is this inner (node, port) output. */
  outputs: Readonly<Record<string, readonly [string, string]>>;
}

/**
 * Invertible kinds (flows) run backwards too: given their outputs and their
 * non-invertible (conditioning) inputs, `inverse` returns the invertible inputs.
 */
export interface Invertible<P> {
  /** Inputs recovered by the inverse. */
  inputs: readonly string[];
  /** Outputs the inverse starts from. */
  outputs: readonly string[];
  /** Why these params leave the map without an inverse (a zero scale), or undefined; a sampler refuses to run backwards through it. */
  refuses?(params: P): string | undefined;
  inverse(ctx: {
    params: P;
    outputs: Readonly<Record<string, tf.Tensor>>;
    /** The other (conditioning) inputs, already known. */
    inputs: Readonly<Record<string, tf.Tensor>>;
    /** Concrete shapes (batch included) of all inputs, so an inverse can cut outputs back to size. */
    inputShapes: Readonly<Record<string, readonly number[]>>;
    vars: Readonly<Record<string, tf.Tensor>>;
  }): Record<string, tf.Tensor>;
}

/** How a variable's values go from GenComposer's layout to PyTorch's (kernels are stored [in, out] and [kh, kw, in, out] here). */
export type TorchLayout =
  /** As stored (biases, scales, tables). */
  | 'same'
  /** A Dense kernel [in, out] as nn.Linear's weight [out, in]. */
  | 'linear'
  /** A conv kernel [kh, kw, in, out] as nn.Conv2d's weight [out, in, kh, kw]. */
  | 'conv'
  /** A transposed-conv kernel [kh, kw, out, in] as nn.ConvTranspose2d's weight [in, out, kh, kw]. */
  | 'convT';

export type { PyValue } from '../base/python.ts';

/**
 * How a kind is written in an exported PyTorch project (docs/export.md):
 * either a module of the `gencomposer` Python package, built once in
 * `__init__` and called in `forward` with its inputs as keyword arguments
 * named like the ports, or an expression of its inputs (kinds without
 * weights). Tensors keep GenComposer's layout (channels last).
 */
export interface TorchForm<P> {
  /**
   * The module: `class` is a name in python/gencomposer (usually the kind's
   * own), `args` its constructor's keyword arguments. `context` adds the
   * keyword `ctx` (gencomposer.Context: random draws, the objective's update
   * count, the batch size) to its call. The module returns a tensor for a
   * kind with one output port and a dict by port otherwise.
   */
  module?(ctx: InferContext<P>): { class: string; args: Readonly<Record<string, PyValue>>; context?: boolean };
  /** Or an expression per output port, of Python expressions for the connected inputs (by port). */
  inline?(params: P, inputs: Readonly<Record<string, string>>, shapes: Readonly<Record<string, Shape>>): Readonly<Record<string, string>>;
  /**
   * Our variables (by the path below the node that the analysis gives them:
   * `kernel`, `fc0/kernel`) → the parameter's name in the module's
   * state_dict and the layout it takes there.
   */
  weights?(ctx: InferContext<P>): Readonly<Record<string, readonly [string, TorchLayout]>>;
  /**
   * An invertible kind written inline, run backwards (a flow's sampler):
   * expressions of its outputs (by port) for the inputs it recovers (by
   * port); `shapes` are its inputs' shapes. Module kinds have an `inverse`
   * method instead, taking the outputs and conditioning inputs by port name.
   */
  inverse?(params: P, outputs: Readonly<Record<string, string>>, shapes: Readonly<Record<string, Shape>>): Readonly<Record<string, string>>;
  /**
   * A block whose module runs backwards as a whole (its `inverse` method),
   * though the app inverts the ops it expands to: the inputs it recovers
   * from the outputs it starts from.
   */
  inverts?: { inputs: readonly string[]; outputs: readonly string[] };
  /** Its module can use a lent matrix transposed (`tie(weight, transposed=True)`): a tie to a matrix PyTorch holds the other way round. */
  tiesTransposed?: boolean;
}

export interface NodeDefinition<P = any> {
  kind: string;
  category: NodeCategory;
  title: string;
  description: string;
  /** Params with defaults and documented ranges; unknown keys are errors. */
  params: z.ZodType<P>;
  ports: NodePorts | ((params: P) => NodePorts);
  /** Output shapes; throw ShapeError for a problem. Kinds that only expand may omit it. */
  infer?(ctx: InferContext<P>): Record<string, Shape>;
  variables?(ctx: InferContext<P>): VariableSpec[];
  forward?(ctx: ForwardContext<P>): Record<string, tf.Tensor>;
  expand?(ctx: InferContext<P>): Expansion;
  invertible?: Invertible<P>;
  /** Samplers run after training, not in the training step. */
  phase?: 'train' | 'sample';
  /** A sampler's plan and loop; the compiler and the runtime ask it, never the kind's name. */
  sampler?: SamplerDefinition<P, any>;
  /** Condition dropout: the label that stands for "no condition", which classifier-free guidance samples with. */
  nullLabel?(params: P): number;
  /** The kind in an exported PyTorch project (docs/export.md); kinds without it are refused by export, naming the node. */
  torch?: TorchForm<P>;
  /** A short line of the key params, shown on the node. */
  summary?(params: P): string;
  /**
   * Gradients of one input with respect to another that the forward needs
   * (see InputGradient); the compiler re-runs the ops between them under
   * tf.grad, so a training step differentiates through them twice.
   */
  inputGradients?(params: P): readonly InputGradient[];
  /** The variable other nodes may use as theirs (weight tying, VariableSpec.tied): an Embedding's table, a Dense's kernel, a quantizer's codebook. */
  lends?: string;
  /**
   * A layer that also adds a loss to an objective, through its `loss` output
   * and its `objective` and `weight` params, as objective kinds do (a vector
   * quantizer's codebook and commitment terms).
   */
  addsLoss?: boolean;
  /** Outputs that are numbers to watch, not to minimise: scalars that training reports beside the losses (a quantizer's code perplexity). */
  metrics?: readonly string[];
  /** A quantizer: its tokens output names the code chosen for each vector, of `count` codes; held-out evaluation reports how they are used. */
  codes?(params: P): { port: string; count: number };
  /**
   * How the kind treats the time axis of sequences [B, T, ...], so that a
   * sampler can run a model one position at a time instead of re-running
   * the whole prefix: 'positionwise' kinds compute each position from that
   * position alone; 'recurrent' kinds carry state from one position to the
   * next, through these port pairs (initial-state input → final-state
   * output). Kinds that say nothing are run over the whole sequence.
   */
  sequence?(params: P): SequenceBehaviour | undefined;
  /**
   * Elements per example that the forward keeps for the backward pass
   * beyond its outputs (a recurrent layer's gates at every position), for
   * the training memory estimate (GC109).
   */
  hiddenActivations?(ctx: InferContext<P>): number;
  /**
   * Token ids as ranges, so that validate catches an id a table cannot hold
   * (training would fail on it): `produces` gives, per tokens output, how
   * many ids it can carry (ids run from 0 to n - 1); `indexes` gives, per
   * tokens input, the ids it accepts (below `limit`) and what sets the limit.
   */
  tokenIds?: {
    produces?(params: P): Readonly<Record<string, number>>;
    /** Outputs that carry an input's ids on (output port → input port), with `produces` adding its own. */
    passes?(params: P): Readonly<Record<string, string>>;
    indexes?(params: P, inputs: Readonly<Record<string, Shape>>): { port: string; limit: number; what: string }[];
  };
}

export type SequenceBehaviour = { kind: 'positionwise' } | { kind: 'recurrent'; state: Readonly<Record<string, string>> };

/** Carried state of recurrent ops between runs of one position: op id → initial-state port → tensor. */
export type RecurrentState = Record<string, Record<string, tf.Tensor>>;

export function defineNode<P>(def: NodeDefinition<P>): NodeDefinition<P> {
  return def;
}

/** Kinds whose `loss` output joins the objective their `objective` param names: the objectives, and layers that add a loss. */
export function isLossKind(def: Pick<NodeDefinition, 'category' | 'addsLoss'>): boolean {
  return def.category === 'objective' || def.addsLoss === true;
}

export function portsOf<P>(def: NodeDefinition<P>, params: P): NodePorts {
  return typeof def.ports === 'function' ? def.ports(params) : def.ports;
}
