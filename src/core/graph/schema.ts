/**
 * The graph document: the versioned JSON people save and share.
 * The schema is strict: an unknown key anywhere is an error, which also makes
 * keys such as `__proto__` inert (they are reported, never merged).
 */
import { z } from 'zod';
import { LIMITS } from './limits.ts';

export const GRAPH_FORMAT = 'gencomposer.graph';
export const LATEST_VERSION = 3;

/** Ids are plain words: safe in paths (`block/inner`), CLI output (`node.port`) and URLs. */
export const zId = z
  .string()
  .min(1)
  .max(LIMITS.idLength)
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'must start with a letter or _ and hold only letters, digits, _ and -');

const zText = (max: number) => z.string().max(max);
const zCoordinate = z.number().min(-1e7).max(1e7);

export const zFamily = z.enum(['vae', 'gan', 'transformer', 'rnn', 'flow', 'diffusion', 'custom']);

export const zMeta = z.strictObject({
  name: zText(LIMITS.nameLength).min(1),
  description: zText(LIMITS.textLength).default(''),
  family: zFamily.default('custom'),
});

/** Any JSON value; each node kind validates its own params against its schema. */
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export const zJsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    zText(LIMITS.textLength),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(zJsonValue).max(LIMITS.arrayLength),
    z.record(z.string().max(LIMITS.idLength), zJsonValue),
  ]),
);

/** Paths of every `__proto__` key in a JSON value (JSON.parse makes it an own key). */
function protoKeys(value: unknown, path: PropertyKey[] = [], depth = 0, out: PropertyKey[][] = []): PropertyKey[][] {
  if (typeof value !== 'object' || value === null || depth > LIMITS.depth) return out;
  if (Array.isArray(value)) value.forEach((item, i) => protoKeys(item, [...path, i], depth + 1, out));
  else {
    for (const key of Object.keys(value)) {
      if (key === '__proto__') out.push([...path, key]);
      else protoKeys((value as Record<string, unknown>)[key], [...path, key], depth + 1, out);
    }
  }
  return out;
}

/**
 * zod's records skip a `__proto__` key without a word; params report it as
 * the unknown key it is (strict objects elsewhere already do).
 */
export const zParams = z.preprocess((value, ctx) => {
  for (const path of protoKeys(value)) ctx.addIssue({ code: 'custom', message: 'Unrecognized key: "__proto__"', path, input: value });
  return value;
}, z.record(z.string().max(LIMITS.idLength), zJsonValue));

export const zNode = z.strictObject({
  id: zId,
  kind: zText(LIMITS.idLength).min(1),
  label: zText(LIMITS.nameLength).optional(),
  params: zParams,
  position: z.strictObject({ x: zCoordinate, y: zCoordinate }),
  /** Drawn as a compact card (its title and ports' dots); how it is drawn only. */
  collapsed: z.boolean().optional(),
});

/** Colours a frame may have (the canvas draws each from its own palette). */
export const FRAME_COLORS = ['slate', 'blue', 'green', 'amber', 'rose', 'violet'] as const;

/**
 * A frame: a named, coloured area of a level that people group nodes in (an
 * encoder, a block); moving it moves the nodes inside it. How the graph is
 * drawn only: training and exports never read it.
 */
export const zFrame = z.strictObject({
  id: zId,
  title: zText(LIMITS.nameLength),
  color: z.enum(FRAME_COLORS).default('slate'),
  position: z.strictObject({ x: zCoordinate, y: zCoordinate }),
  size: z.strictObject({ width: z.number().min(40).max(1e6), height: z.number().min(40).max(1e6) }),
});

export const zEndpoint = z.strictObject({ node: zId, port: zId });

export const zEdge = z.strictObject({
  id: zId,
  source: zEndpoint,
  target: zEndpoint,
});

/** A named subgraph; every node of kind Module that names it is an instance sharing its weights. */
export const zModule = z.strictObject({
  id: zId,
  name: zText(LIMITS.nameLength).min(1),
  description: zText(LIMITS.textLength).default(''),
  nodes: z.array(zNode).max(LIMITS.nodes),
  edges: z.array(zEdge).max(LIMITS.edges),
  frames: z.array(zFrame).max(LIMITS.frames).default([]),
});

/**
 * A learning-rate schedule over the objective's own updates t = 0, 1, ...
 * (its optimizer's step count, which checkpoints keep, so a resumed run
 * follows the same schedule): a linear warm-up, learningRate · (t + 1) /
 * warmupSteps for t < warmupSteps, then with decay 'cosine' a half cosine
 * from learningRate down to minLearningRate over decaySteps updates, after
 * which it stays at minLearningRate. Absent: the constant learningRate.
 */
export const zLearningRateSchedule = z
  .strictObject({
    warmupSteps: z.int().min(0).max(10_000_000).default(0),
    decay: z.enum(['none', 'cosine']).default('none'),
    /** Updates the cosine lasts, after the warm-up. */
    decaySteps: z.int().min(0).max(10_000_000).default(0),
    /** Where the cosine ends (at most learningRate). */
    minLearningRate: z.number().min(0).max(10).default(0),
  })
  .refine((s) => s.decay !== 'cosine' || s.decaySteps > 0, { message: 'a cosine decay needs decaySteps > 0, the updates it lasts after the warm-up', path: ['decaySteps'] });

export const zOptimizer = z.strictObject({
  type: z.enum(['adam', 'adamw', 'sgd']).default('adam'),
  learningRate: z.number().gt(0).max(10).default(1e-3),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  /** SGD momentum. */
  momentum: z.number().min(0).lt(1).default(0),
  weightDecay: z.number().min(0).max(1).default(0),
  /** Global gradient-norm clip; 0 turns it off. */
  clipNorm: z.number().min(0).max(1e6).default(0),
  /**
   * Decay of an exponential moving average of the weights this objective
   * updates, which sampling and evaluation then use (as DDPM does); 0 keeps none.
   */
  ema: z.number().min(0).max(0.99999).default(0),
  /** Optional: documents without one keep the constant learningRate. */
  schedule: zLearningRateSchedule.optional(),
}).refine((o) => !o.schedule || o.schedule.minLearningRate <= o.learningRate, { message: 'schedule.minLearningRate must not be above learningRate', path: ['schedule', 'minLearningRate'] });

/**
 * One objective: the loss nodes that name it are summed and minimised over
 * the variables of `updates` (module ids or node ids; empty means every
 * variable its losses depend on). `share` is how many consecutive steps it
 * takes in each cycle: a GAN with D share 1 and G share 1 alternates.
 */
export const zObjectiveSettings = z.strictObject({
  id: zId,
  updates: z.array(zId).max(LIMITS.nodes).default([]),
  optimizer: zOptimizer.default(zOptimizer.parse({})),
  share: z.int().min(1).max(100).default(1),
});

/** Megabytes a memory budget may be (the document's, and the limit set on a machine). */
export const MEMORY_BUDGET_RANGE = { min: 16, max: 1_048_576 } as const;

export const zTraining = z.strictObject({
  batchSize: z.int().min(1).max(4096).default(64),
  steps: z.int().min(1).max(10_000_000).default(1000),
  seed: z.int().min(0).max(2 ** 31 - 1).default(0),
  data: z
    .strictObject({
      shuffle: z.boolean().default(true),
      /** Share of the training data held out for validation metrics. */
      validationSplit: z.number().min(0).max(0.5).default(0.1),
    })
    .default({ shuffle: true, validationSplit: 0.1 }),
  objectives: z.array(zObjectiveSettings).max(32).default([]),
  /** Training refuses graphs estimated above this many megabytes (capped by the limit set on the machine). */
  memoryBudgetMB: z.int().min(MEMORY_BUDGET_RANGE.min).max(MEMORY_BUDGET_RANGE.max).default(4096),
});

export const zGraphDocument = z.strictObject({
  format: z.literal(GRAPH_FORMAT),
  version: z.literal(LATEST_VERSION),
  meta: zMeta,
  nodes: z.array(zNode).max(LIMITS.nodes),
  edges: z.array(zEdge).max(LIMITS.edges),
  modules: z.array(zModule).max(LIMITS.modules).default([]),
  frames: z.array(zFrame).max(LIMITS.frames).default([]),
  training: zTraining.default(zTraining.parse({})),
});

export type GraphDocument = z.infer<typeof zGraphDocument>;
export type GraphNode = z.infer<typeof zNode>;
export type GraphEdge = z.infer<typeof zEdge>;
export type GraphModule = z.infer<typeof zModule>;
export type GraphFrame = z.infer<typeof zFrame>;
export type FrameColor = (typeof FRAME_COLORS)[number];
export type ObjectiveSettings = z.infer<typeof zObjectiveSettings>;
export type OptimizerSettings = z.infer<typeof zOptimizer>;
export type Family = z.infer<typeof zFamily>;
export type Training = z.infer<typeof zTraining>;

/** The nodes and edges of one level: the top-level graph or a module body. */
export interface GraphScope {
  nodes: readonly GraphNode[];
  edges: readonly GraphEdge[];
}

export function emptyDocument(name = 'Untitled'): GraphDocument {
  return zGraphDocument.parse({
    format: GRAPH_FORMAT,
    version: LATEST_VERSION,
    meta: { name },
    nodes: [],
    edges: [],
  });
}
