/**
 * The character Transformer of graph-presets/transformer.json written
 * directly in TF.js: token embedding 28x64 plus learned positions over 16,
 * 4 pre-LayerNorm blocks (4 causal heads, gelu MLP of 256, tanh form),
 * final LayerNorm, a dense head to 28 logits, next-token cross-entropy
 * ignoring token 0; AdamW (decay on every variable, as the graph does)
 * with the global gradient norm clipped at 1.
 *
 * Written as a careful TF.js user would: activations kept as [B·T, D]
 * matrices, q, k and v from one fused matMul (the same parameters as three
 * 64x64 projections), x·x·x rather than pow in gelu.
 * Batches are random tokens in [2, 28), uploaded every step like real data.
 */
import * as tf from '@tensorflow/tfjs-core';
import { countParameters, createAdam, glorotVariable, normalVariable, onesVariable, zerosVariable, type Baseline } from './common.ts';

export const VOCAB = 28;
export const CONTEXT = 16;
export const WIDTH = 64;
export const HEADS = 4;
export const LAYERS = 4;
const HIDDEN = 4 * WIDTH;
const EPSILON = 1e-5;
const GELU_C = Math.sqrt(2 / Math.PI);
const POOL = 4;

export interface Block {
  ln1g: tf.Variable;
  ln1b: tf.Variable;
  qkv: tf.Variable;
  qkvB: tf.Variable;
  proj: tf.Variable;
  projB: tf.Variable;
  ln2g: tf.Variable;
  ln2b: tf.Variable;
  fc: tf.Variable;
  fcB: tf.Variable;
  out: tf.Variable;
  outB: tf.Variable;
}

/** q, k and v each Glorot-initialised as a 64x64 layer, side by side. */
function qkvVariable(seed: number): tf.Variable {
  const limit = Math.sqrt(6 / (WIDTH + WIDTH));
  return tf.variable(tf.randomUniform([WIDTH, 3 * WIDTH], -limit, limit, 'float32', seed));
}

function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPSILON))), gamma), beta);
}

function gelu(x: tf.Tensor2D): tf.Tensor2D {
  const inner = tf.mul(GELU_C, tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x)))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

export interface TransformerBaseline extends Baseline {
  readonly weights: { tokenTable: tf.Variable; positions: tf.Variable; blocks: readonly Block[]; lnFg: tf.Variable; lnFb: tf.Variable; head: tf.Variable; headB: tf.Variable };
  /** Mean next-token cross-entropy of tokens x [B, T] against next tokens y [B, T] (int32), 0 ignored. */
  loss(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar;
}

export function createBaseline(batchSize: number, seed = 0): TransformerBaseline {
  const B = batchSize;
  const T = CONTEXT;
  const dh = WIDTH / HEADS;
  const tokenTable = normalVariable([VOCAB, WIDTH], 0.02, seed + 1);
  const positions = normalVariable([T, WIDTH], 0.02, seed + 2);
  const blocks: Block[] = Array.from({ length: LAYERS }, (_, i) => ({
    ln1g: onesVariable([WIDTH]),
    ln1b: zerosVariable([WIDTH]),
    qkv: qkvVariable(seed + 10 * i + 3),
    qkvB: zerosVariable([3 * WIDTH]),
    proj: glorotVariable(WIDTH, WIDTH, seed + 10 * i + 4),
    projB: zerosVariable([WIDTH]),
    ln2g: onesVariable([WIDTH]),
    ln2b: zerosVariable([WIDTH]),
    fc: glorotVariable(WIDTH, HIDDEN, seed + 10 * i + 5),
    fcB: zerosVariable([HIDDEN]),
    out: glorotVariable(HIDDEN, WIDTH, seed + 10 * i + 6),
    outB: zerosVariable([WIDTH]),
  }));
  const lnFg = onesVariable([WIDTH]);
  const lnFb = zerosVariable([WIDTH]);
  const head = glorotVariable(WIDTH, VOCAB, seed + 7);
  const headB = zerosVariable([VOCAB]);
  const variables = [tokenTable, positions, ...blocks.flatMap((b) => Object.values(b)), lnFg, lnFb, head, headB];
  // The preset's AdamW at its peak rate: its warm-up and cosine decay change the rate, not the work of a step.
  const adam = createAdam(variables, { learningRate: 2e-3, beta1: 0.9, beta2: 0.999, weightDecay: 0.1, clipNorm: 1 });

  // 0 where key j <= query i, -1e9 after: added to the scores before softmax.
  const maskValues = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) maskValues[i * T + j] = -1e9;
  const mask = tf.tensor2d(maskValues, [T, T]);
  const scale = tf.scalar(1 / Math.sqrt(dh));
  const randomTokens = () => Int32Array.from({ length: B * T }, () => 2 + Math.floor(Math.random() * (VOCAB - 2)));
  const pool = Array.from({ length: POOL }, () => ({ x: randomTokens(), y: randomTokens() }));
  let steps = 0;

  const attention = (h: tf.Tensor2D, blk: Block): tf.Tensor2D => {
    const qkv = tf.fused.matMul({ a: h, b: blk.qkv, bias: blk.qkvB });
    // [B·T, 3·H·dh] -> [B, 3·H, T, dh], then q, k, v as [B, H, T, dh].
    const heads = tf.transpose(tf.reshape(qkv, [B, T, 3 * HEADS, dh]), [0, 2, 1, 3]);
    const [q, k, v] = tf.split(heads, 3, 1) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), scale), mask);
    const mixed = tf.matMul(tf.softmax(scores), v);
    const merged = tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [B * T, WIDTH]) as tf.Tensor2D;
    return tf.fused.matMul({ a: merged, b: blk.proj, bias: blk.projB }) as tf.Tensor2D;
  };

  /** One-hot targets [B·T, V] with padding rows zeroed, and how many positions count. */
  const prepare = (y: tf.Tensor) =>
    tf.tidy(() => {
      const flat = tf.reshape(y, [-1]) as tf.Tensor1D;
      const counted = tf.cast(tf.notEqual(flat, 0), 'float32');
      return {
        targets: tf.mul(tf.oneHot(flat, VOCAB), tf.expandDims(counted, 1)) as tf.Tensor2D,
        count: tf.maximum(tf.sum(counted), 1) as tf.Scalar,
      };
    });

  const lossOf = (tokens: tf.Tensor1D, targets: tf.Tensor2D, count: tf.Scalar): tf.Scalar => {
    const embedded = tf.add(tf.reshape(tf.gather(tokenTable, tokens), [B, T, WIDTH]), positions);
    let x = tf.reshape(embedded, [B * T, WIDTH]) as tf.Tensor2D;
    for (const blk of blocks) {
      x = tf.add(x, attention(layerNorm(x, blk.ln1g, blk.ln1b), blk));
      const hidden = gelu(tf.fused.matMul({ a: layerNorm(x, blk.ln2g, blk.ln2b), b: blk.fc, bias: blk.fcB }) as tf.Tensor2D);
      x = tf.add(x, tf.fused.matMul({ a: hidden, b: blk.out, bias: blk.outB }));
    }
    const logits = tf.fused.matMul({ a: layerNorm(x, lnFg, lnFb), b: head, bias: headB });
    // -Σ log p(target) over counted positions / their number; the one-hot rows of padding are zeroed.
    const picked = tf.sum(tf.mul(tf.logSoftmax(logits), targets));
    return tf.div(tf.neg(picked), count) as tf.Scalar;
  };

  return {
    name: 'hand-written TF.js character Transformer',
    weights: { tokenTable, positions, blocks, lnFg, lnFb, head, headB },
    loss(x, y) {
      return tf.tidy(() => {
        const { targets, count } = prepare(y);
        return lossOf(tf.reshape(x, [-1]) as tf.Tensor1D, targets, count);
      });
    },
    parameterCount: countParameters(variables),
    step() {
      const batch = pool[steps++ % POOL]!;
      const tokens = tf.tensor1d(batch.x, 'int32');
      const y = tf.tensor1d(batch.y, 'int32');
      const { targets, count } = prepare(y);
      const { value, grads } = tf.variableGrads(() => lossOf(tokens, targets, count), variables);
      adam.apply(variables.map((v) => grads[v.name]!));
      tf.dispose([tokens, y, targets, count, grads]);
      return value;
    },
    dispose() {
      adam.dispose();
      tf.dispose([...variables, mask, scale]);
    },
  };
}
