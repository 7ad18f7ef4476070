/** Weight tying, as the kinds that use another node's matrix declare it (the analysis resolves it: shapes/ties.ts). */
import { z } from 'zod';
import type { Init, VariableSpec } from './types.ts';

/** The param naming the node whose matrix a node uses as its own: the id of a node of the same graph (or module body); empty for weights of its own. */
export const zTiedTo = z
  .string()
  .max(64)
  .regex(/^([A-Za-z_][A-Za-z0-9_-]*)?$/, 'must be empty or the id of a node: a letter or _, then letters, digits, _ and -')
  .default('');

/** The variable `name` of shape `shape`: the node's own (initialised by `init`), or, when `tiedTo` names a node, that node's lent variable. */
export function ownOrTied(name: string, shape: number[], init: Init, tiedTo: string, param = 'tiedTo'): VariableSpec {
  return tiedTo === '' ? { name, shape, init } : { name, shape, init, tied: { param, node: tiedTo } };
}
