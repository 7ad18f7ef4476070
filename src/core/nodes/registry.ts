/**
 * The node catalogue: every kind GenComposer knows, listed explicitly so
 * that what ships is exactly what is written here.
 */
import { activationNode } from './activation.ts';
import { addNode } from './add.ts';
import { constantNode } from './constant.ts';
import { dataNode } from './data.ts';
import { denseNode } from './dense.ts';
import { inputNode } from './input.ts';
import { moduleInputNode, moduleInstanceNode, moduleOutputNode } from './module.ts';
import { multiplyNode } from './multiply.ts';
import { noiseNode } from './noise.ts';
import { reconstructionLossNode } from './reconstruction-loss.ts';
import { reparameterizeNode } from './reparameterize.ts';
import { reshapeNode } from './reshape.ts';
import { scaleShiftNode } from './scale-shift.ts';
import { attentionBlockNode } from './attention-block.ts';
import { autoregressiveSamplerNode } from './autoregressive-sampler.ts';
import { causalMaskNode } from './causal-mask.ts';
import { classificationLossNode } from './classification-loss.ts';
import { embeddingNode } from './embedding.ts';
import { layerNormNode } from './layer-norm.ts';
import { lstmNode } from './lstm.ts';
import { gruNode } from './gru.ts';
import { matMulNode } from './mat-mul.ts';
import { mergeHeadsNode } from './merge-heads.ts';
import { nextTokenCrossEntropyNode } from './next-token-cross-entropy.ts';
import { positionalEncodingNode } from './positional-encoding.ts';
import { softmaxNode } from './softmax.ts';
import { splitHeadsNode } from './split-heads.ts';
import { transformerBlockNode } from './transformer-block.ts';
import { transposeNode } from './transpose.ts';
import type { NodeDefinition } from './types.ts';
// Flows, diffusion, objectives and samplers
import { actNormNode } from './act-norm.ts';
import { invertibleConv1x1Node } from './invertible-conv-1x1.ts';
import { adversarialLossNode } from './adversarial-loss.ts';
import { interpolateNode } from './interpolate.ts';
import { affineCouplingNode } from './affine-coupling.ts';
import { concatNode } from './concat.ts';
import { conditionDropoutNode } from './condition-dropout.ts';
import { couplingLayerNode } from './coupling-layer.ts';
import { ddimSamplerNode } from './ddim-sampler.ts';
import { ddpmSamplerNode } from './ddpm-sampler.ts';
import { dequantizeNode } from './dequantize.ts';
import { diffuseNode } from './diffuse.ts';
import { diffusionLossNode } from './diffusion-loss.ts';
import { flowInverseSamplerNode } from './flow-inverse-sampler.ts';
import { flowNllNode } from './flow-nll.ts';
import { klDivergenceNode } from './kl-divergence.ts';
import { logitNode } from './logit.ts';
import { noiseScheduleNode } from './noise-schedule.ts';
import { permuteNode } from './permute.ts';
import { priorSamplerNode } from './prior-sampler.ts';
import { pixelSamplerNode } from './pixel-sampler.ts';
import { splitNode } from './split.ts';
// Image layers and blocks
import { avgPool2dNode } from './avg-pool2d.ts';
import { batchNormNode } from './batch-norm.ts';
import { conv2dNode } from './conv2d.ts';
import { conv2dTransposeNode } from './conv2d-transpose.ts';
import { maskedConv2dNode } from './masked-conv2d.ts';
import { decoderNode } from './decoder.ts';
import { discriminatorNode } from './discriminator.ts';
import { dropoutNode } from './dropout.ts';
import { groupNormNode } from './group-norm.ts';
import { stopGradientNode } from './stop-gradient.ts';
import { straightThroughNode } from './straight-through.ts';
import { vectorQuantizerNode } from './vector-quantizer.ts';
import { encoderNode } from './encoder.ts';
import { flattenNode } from './flatten.ts';
import { generatorNode } from './generator.ts';
import { maxPool2dNode } from './max-pool2d.ts';
import { sinusoidalEmbeddingNode } from './sinusoidal-embedding.ts';
import { timeEmbeddingNode } from './time-embedding.ts';
import { unetBlockNode } from './unet-block.ts';
import { upsample2dNode } from './upsample2d.ts';

export const NODE_DEFINITIONS: readonly NodeDefinition[] = [
  // Data
  dataNode,
  inputNode,
  noiseNode,
  constantNode,
  // Layers
  denseNode,
  activationNode,
  addNode,
  multiplyNode,
  scaleShiftNode,
  reshapeNode,
  conv2dNode,
  conv2dTransposeNode,
  maskedConv2dNode,
  flattenNode,
  maxPool2dNode,
  avgPool2dNode,
  upsample2dNode,
  batchNormNode,
  groupNormNode,
  dropoutNode,
  stopGradientNode,
  straightThroughNode,
  vectorQuantizerNode,
  conditionDropoutNode,
  interpolateNode,
  sinusoidalEmbeddingNode,
  // (image layers: add here)
  embeddingNode,
  positionalEncodingNode,
  lstmNode,
  gruNode,
  layerNormNode,
  softmaxNode,
  transposeNode,
  matMulNode,
  causalMaskNode,
  splitHeadsNode,
  mergeHeadsNode,
  // (sequence layers: add here)
  splitNode,
  concatNode,
  affineCouplingNode,
  permuteNode,
  actNormNode,
  invertibleConv1x1Node,
  dequantizeNode,
  logitNode,
  diffuseNode,
  // (flow and diffusion layers: add here)
  // Blocks
  reparameterizeNode,
  encoderNode,
  decoderNode,
  generatorNode,
  discriminatorNode,
  timeEmbeddingNode,
  unetBlockNode,
  // (image blocks: add here)
  attentionBlockNode,
  transformerBlockNode,
  // (sequence blocks: add here)
  couplingLayerNode,
  noiseScheduleNode,
  // (flow and diffusion blocks: add here)
  // Objectives
  reconstructionLossNode,
  nextTokenCrossEntropyNode,
  classificationLossNode,
  klDivergenceNode,
  adversarialLossNode,
  flowNllNode,
  diffusionLossNode,
  // (objectives: add here)
  // Samplers
  autoregressiveSamplerNode,
  priorSamplerNode,
  flowInverseSamplerNode,
  ddpmSamplerNode,
  ddimSamplerNode,
  pixelSamplerNode,
  // (samplers: add here)
  // Modules
  moduleInstanceNode,
  moduleInputNode,
  moduleOutputNode,
];

const BY_KIND = new Map(NODE_DEFINITIONS.map((def) => [def.kind, def]));

export function getNodeDefinition(kind: string): NodeDefinition | undefined {
  return BY_KIND.get(kind);
}

export function nodeKinds(): string[] {
  return NODE_DEFINITIONS.map((def) => def.kind);
}
