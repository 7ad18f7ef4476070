/** Reshape, Flatten and Transpose move values without changing them (|det| = 1), so a flow runs backwards through them. */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/core/compiler/program.ts';
import { readPublicAsset } from '../../src/core/data/assets.node.ts';
import { loadText } from '../../src/core/graph/load.ts';
import type { GraphDocument } from '../../src/core/graph/schema.ts';
import { getNodeDefinition } from '../../src/core/nodes/registry.ts';
import { flowRoundTrip } from '../../src/core/train/family-eval.ts';
import { openProgramData, streamBatches } from '../../src/core/train/program-data.ts';
import { TrainingSession } from '../../src/core/train/session.ts';

function roundTrip(kind: string, params: Record<string, unknown>, shape: number[]): number {
  const def = getNodeDefinition(kind)!;
  const parsed = def.params.parse(params);
  const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
  const { y } = def.forward!({ params: parsed, inputs: { x }, outputShapes: {}, vars: {}, training: false, random: undefined as never, feeds: {} } as never);
  const back = def.invertible!.inverse({ params: parsed, outputs: { y: y! }, inputs: {}, inputShapes: { x: shape }, vars: {} }).x!;
  const error = tf.max(tf.abs(tf.sub(back, x))).dataSync()[0]!;
  expect(back.shape).toEqual(shape);
  tf.dispose([x, y!, back]);
  return error;
}

describe('volume-preserving inverses', () => {
  it('Transpose and Reshape give back their input exactly', () => {
    expect(roundTrip('Transpose', { perm: [0, 3, 1, 2] }, [2, 3, 4, 5])).toBe(0);
    expect(roundTrip('Transpose', { perm: [0, 2, 3, 1] }, [2, 3, 4, 5])).toBe(0);
    expect(roundTrip('Reshape', { shape: [6, 10] }, [2, 3, 4, 5])).toBe(0);
  });

  it('a flow with a squeeze (Reshape, Transpose, Flatten) inside its chain samples backwards through it', async () => {
    const loaded = loadText(readFileSync('graph-presets/flow.json', 'utf8'));
    if (!loaded.ok) throw new Error('flow does not load');
    const doc: GraphDocument = structuredClone(loaded.document);
    const at = (id: string) => ({ id, position: { x: 0, y: 0 } });
    doc.nodes.push(
      { ...at('split'), kind: 'Reshape', params: { shape: [2, 1] } },
      { ...at('swap'), kind: 'Transpose', params: { perm: [0, 2, 1] } },
      { ...at('flat'), kind: 'Flatten', params: {} },
    );
    // coupling3.y → Reshape → Transpose → Flatten → coupling4.x; the log-determinant goes around them (|det| = 1).
    const edge = doc.edges.find((e) => e.source.node === 'coupling3' && e.source.port === 'y')!;
    edge.target = { node: 'split', port: 'x' };
    doc.edges.push(
      { id: 'sq1', source: { node: 'split', port: 'y' }, target: { node: 'swap', port: 'x' } },
      { id: 'sq2', source: { node: 'swap', port: 'y' }, target: { node: 'flat', port: 'x' } },
      { id: 'sq3', source: { node: 'flat', port: 'y' }, target: { node: 'coupling4', port: 'x' } },
    );
    const compiled = compile(doc);
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    if (!compiled.ok) return;
    const sources = await openProgramData(compiled.program, readPublicAsset);
    const session = new TrainingSession(compiled.program, streamBatches(sources));
    session.trainStep();
    const error = await flowRoundTrip(session, (op, start, count) => sources.get(op.id)!.validationBatch(start, count), 200);
    expect(error).toBeLessThan(1e-4);
    session.dispose();
  });
});
