import type { z } from 'zod';
import type { dataNode } from '../nodes/data.ts';

/** A Data node's params, defaults filled in. */
export type DataParams = z.output<typeof dataNode.params>;
