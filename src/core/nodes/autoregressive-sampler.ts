import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ShapeError } from '../base/diagnostics.ts';
import { expectRank, input, lastDim } from './common.ts';
import type { SamplerDefinition, SamplerOp, SamplerPlan, SamplerPlanContext, SamplerRunContext } from './sampler-types.ts';
import { defineNode, type RecurrentState } from './types.ts';
import { nameRecord } from '../base/names.ts';
import { exampleShape } from './sampler-condition.ts';

/**
 * Draws one token from softmax(logits / temperature), keeping only the topK
 * largest logits when topK > 0, by inverse CDF on `uniform` in [0, 1).
 * A temperature of 0 or less picks the largest logit (greedy decoding).
 * Ties for the k-th place go to the lower token id.
 */
export function sampleToken(logits: Float32Array | readonly number[], temperature: number, topK: number, uniform: number): number {
  const n = logits.length;
  if (n === 0) throw new RangeError('sampleToken needs at least one logit');
  let kept = Array.from({ length: n }, (_, i) => i);
  if (topK > 0 && topK < n) {
    // Stable sort: equal logits keep id order.
    kept = kept.sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, topK).sort((a, b) => a - b);
  }
  let best = kept[0]!;
  for (const i of kept) if (logits[i]! > logits[best]!) best = i;
  if (!(temperature > 0) || !(logits[best]! > -Infinity)) return best;
  // Subtracting the largest logit keeps exp from overflowing.
  const weights = kept.map((i) => Math.exp((logits[i]! - logits[best]!) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  const target = uniform * total;
  let cumulative = 0;
  for (let j = 0; j < kept.length; j++) {
    cumulative += weights[j]!;
    if (target < cumulative) return kept[j]!;
  }
  // Rounding can leave target just above the sum: take the last token that has weight.
  for (let j = kept.length - 1; j >= 0; j--) if (weights[j]! > 0) return kept[j]!;
  return best;
}

const params = z.strictObject({
  /** Sequences generated at once. */
  count: z.int().min(1).max(4096).default(16),
  /** Below 1 sharpens the distribution, above 1 flattens it. */
  temperature: z.number().gt(0).max(100).default(1),
  /** Draw only among the k likeliest tokens; 0 draws from all of them. */
  topK: z.int().min(0).max(1 << 20).default(0),
  /** Tokens generated per sequence; 0 = the model's context length T. */
  maxLength: z.int().min(0).max(8192).default(0),
  /** The token every sequence starts from (1 = '.' in the text datasets). */
  startToken: z.int().min(0).max(1 << 20).default(1),
  /** A sequence ends after this token and is padded with 0 (-1 = never stop early). */
  stopToken: z.int().min(-1).max(1 << 20).default(1),
});

type Params = z.infer<typeof params>;

export interface AutoregressivePlan extends SamplerPlan {
  logits: string;
  /** The token input that generated tokens replace. */
  tokens: string;
  /** From the tokens to the logits. */
  ops: SamplerOp[];
  /**
   * Every op on that path is positionwise or recurrent, so the model runs
   * on one position at a time with recurrent state carried over, instead
   * of on the whole prefix for every token.
   */
  stepwise: boolean;
}

function planTokens({ op, opsFor, isFeed, valueOf }: SamplerPlanContext<Params>): AutoregressivePlan | { error: string } {
  const logits = op.inputs.logits!;
  const all = opsFor([logits]);
  const tokenFeeds = all
    .filter(isFeed)
    .flatMap((o) => Object.values(o.outputs).filter((key) => valueOf(key)?.type === 'tokens' && all.some((u) => Object.values(u.inputs).includes(key))));
  const chosen = op.inputs.tokens;
  if (chosen !== undefined && !tokenFeeds.includes(chosen)) return { error: 'its tokens input is not a token input of the model that feeds its logits' };
  if (chosen === undefined && tokenFeeds.length !== 1) {
    return { error: tokenFeeds.length === 0 ? 'no token input feeds its logits' : 'more than one token input feeds its logits: connect the one to generate into its "tokens" input' };
  }
  const tokens = chosen ?? tokenFeeds[0]!;
  const ops = opsFor([logits], new Set([tokens]));
  // It draws ids below the logits' last size and feeds them back: every table they index must hold them.
  const drawn = valueOf(logits)?.shape.at(-1);
  for (const consumer of ops) {
    const shapes = Object.fromEntries(Object.entries(consumer.inputs).map(([port, key]) => [port, valueOf(key)?.shape ?? []]));
    for (const { port, limit, what } of consumer.def.tokenIds?.indexes?.(consumer.params, shapes) ?? []) {
      if (consumer.inputs[port] === tokens && typeof drawn === 'number' && drawn > limit) {
        return { error: `it draws token ids up to ${drawn - 1} from the ${drawn} scores of its logits and feeds them to "${consumer.origin.node}", but ${what}` };
      }
    }
  }
  const stepwise = ops.every((o) => o.def.sequence?.(o.params) !== undefined);
  return { kind: 'autoregressive', op, logits, tokens, ops, stepwise };
}

/** Scores [count, vocab] for the token after `position`, given the tokens so far ([count, context], row-major). */
interface NextScores {
  next(position: number, tokens: Int32Array): tf.Tensor;
  dispose(): void;
}

/** Re-runs the model on the whole context and reads the scores at `position` (a Transformer's attention needs every position). */
function wholeContext({ count, runOps }: SamplerRunContext<Params>, plan: AutoregressivePlan, context: number, vocab: number): NextScores {
  return {
    next: (position, tokens) =>
      tf.tidy(() => {
        const values = runOps(plan.ops, new Map([[plan.tokens, tf.tensor(tokens, [count, context], 'int32')]]));
        return tf.reshape(tf.slice(values.get(plan.logits)!, [0, position, 0], [count, 1, vocab]), [count, vocab]);
      }),
    dispose: () => {},
  };
}

/**
 * Runs the model on one position at a time, recurrent ops carrying their
 * state from each position to the next: the cost of a token does not grow
 * with the tokens before it.
 */
function onePositionAtATime({ count, runOps }: SamplerRunContext<Params>, plan: AutoregressivePlan, context: number, vocab: number): NextScores {
  let state: RecurrentState = nameRecord();
  const held = () => Object.values(state).flatMap((ports) => Object.values(ports));
  return {
    next: (position, tokens) => {
      const before = held();
      const column = Int32Array.from({ length: count }, (_, b) => tokens[b * context + position]!);
      const next: RecurrentState = nameRecord(Object.entries(state));
      const scores = tf.tidy(() => {
        const values = runOps(plan.ops, new Map([[plan.tokens, tf.tensor(column, [count, 1], 'int32')]]), next);
        for (const ports of Object.values(next)) for (const t of Object.values(ports)) tf.keep(t);
        return tf.reshape(values.get(plan.logits)!, [count, vocab]);
      });
      const kept = new Set(Object.values(next).flatMap((ports) => Object.values(ports)));
      tf.dispose(before.filter((t) => !kept.has(t)));
      state = next;
      return scores;
    },
    dispose: () => tf.dispose(held()),
  };
}

/** Writes tokens left to right, each drawn from the model's scores given the tokens before it. */
async function generateTokens(ctx: SamplerRunContext<Params>, plan: AutoregressivePlan): Promise<number[][]> {
  const { params, count, rng, shapeOf } = ctx;
  const [, context, vocab] = shapeOf(plan.logits) as [number, number, number];
  const length = params.maxLength || context;
  const inputs = new Int32Array(count * context);
  for (let b = 0; b < count; b++) inputs[b * context] = params.startToken;
  const out: number[][] = Array.from({ length: count }, () => []);
  const finished = new Array<boolean>(count).fill(false);
  const scorer = (plan.stepwise ? onePositionAtATime : wholeContext)(ctx, plan, context, vocab);
  try {
    for (let position = 0; position < length; position++) {
      const row = scorer.next(position, inputs);
      const logits = await row.data();
      row.dispose();
      for (let b = 0; b < count; b++) {
        if (finished[b]) {
          out[b]!.push(0);
          continue;
        }
        const token = sampleToken(logits.subarray(b * vocab, (b + 1) * vocab) as Float32Array, params.temperature, params.topK, rng.uniform());
        out[b]!.push(token);
        if (position + 1 < context) inputs[b * context + position + 1] = token;
        if (token === params.stopToken) finished[b] = true;
      }
      if (finished.every(Boolean)) {
        for (const tokens of out) while (tokens.length < length) tokens.push(0);
        break;
      }
    }
  } finally {
    scorer.dispose();
  }
  return out;
}

const sampler: SamplerDefinition<Params, AutoregressivePlan> = {
  plan: planTokens,
  run: async (ctx, plan) => ({ kind: 'tokens', tokens: await generateTokens(ctx, plan) }),
  output: () => ({ kind: 'tokens' }),
  tokens: (plan) => plan.tokens,
  export: {
    networks: (plan) => [{ name: 'logits', inputs: [{ name: 'tokens', key: plan.tokens }], output: plan.logits, ops: plan.ops }],
    torch: (params, plan, values) => {
      const [context, vocab] = exampleShape(values, plan.logits);
      return {
        function: 'tokens',
        args: { context: context!, vocab: vocab!, temperature: params.temperature, top_k: params.topK, length: params.maxLength || context!, start_token: params.startToken, stop_token: params.stopToken },
      };
    },
  },
};

/**
 * Generates sequences one token at a time: it feeds the tokens so
 * far through the path that produces `logits`, draws the next token from the
 * last position with sampleToken, appends it, and repeats.
 */
export const autoregressiveSamplerNode = defineNode({
  kind: 'AutoregressiveSampler',
  category: 'sampler',
  title: 'Autoregressive sampler',
  description:
    'Generates token sequences one token at a time from the model whose scores it is connected to, with temperature and top-k. A recurrent model (positionwise kinds and LSTM/GRU only) runs one position per token with its state carried; others are re-run on the prefix for each token.',
  params,
  ports: {
    inputs: [
      { name: 'logits', type: 'tensor', doc: "the model's next-token scores, [B, T, V]" },
      {
        name: 'tokens',
        type: 'tokens',
        optional: true,
        doc: 'the token input that generated tokens replace; needed when the model reads more than one (an encoder-decoder reads its source too)',
      },
    ],
    outputs: [{ name: 'samples', type: 'tokens', doc: 'generated tokens, start token excluded, [count, maxLength]' }],
  },
  infer: ({ inputs, params }) => {
    const logits = input(inputs, 'logits');
    expectRank(logits, 'logits', 3, 3, 'next-token scores [B, T, vocabulary]');
    const vocab = lastDim(logits, 'logits');
    const context = logits[1] as number;
    if (params.maxLength > context) {
      throw new ShapeError('GC107', { param: 'maxLength', reason: `${params.maxLength} is longer than the model's context of ${context} positions` });
    }
    for (const param of ['startToken', 'stopToken'] as const) {
      if (params[param] >= vocab) throw new ShapeError('GC107', { param, reason: `token ${params[param]} is outside the vocabulary of ${vocab} tokens` });
    }
    return { samples: ['B', params.maxLength || context] };
  },
  phase: 'sample',
  sampler,
  summary: (p) => `${p.count} · temperature ${p.temperature}${p.topK > 0 ? ` · top-${p.topK}` : ''}`,
});
