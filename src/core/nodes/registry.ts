/**
 * The node catalogue: every kind GenComposer knows, listed explicitly so
 * that what ships is exactly what is written here.
 */
import { activationNode } from './activation.ts';
import { addNode } from './add.ts';
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
import type { NodeDefinition } from './types.ts';

export const NODE_DEFINITIONS: readonly NodeDefinition[] = [
  // Data
  dataNode,
  inputNode,
  noiseNode,
  // Layers
  denseNode,
  activationNode,
  addNode,
  multiplyNode,
  scaleShiftNode,
  reshapeNode,
  // (image layers: add here)
  // (sequence layers: add here)
  // (flow and diffusion layers: add here)
  // Blocks
  reparameterizeNode,
  // (image blocks: add here)
  // (sequence blocks: add here)
  // (flow and diffusion blocks: add here)
  // Objectives
  reconstructionLossNode,
  // (objectives: add here)
  // Samplers
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
