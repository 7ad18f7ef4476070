/** The document's training settings checked against the loss nodes the graph holds. */
import type { GraphDocument } from '../graph/schema.ts';
import type { NodePlace } from './analysis.ts';
import type { ReportAt } from './scope.ts';

/** A loss node and the objective it names. */
export interface LossNode {
  place: NodePlace;
  objective: string;
}

export function checkTraining(doc: GraphDocument, lossNodes: readonly LossNode[], reportAt: ReportAt): void {
  const training = doc.training;
  const defined = new Set(training.objectives.map((o) => o.id));
  const used = new Set(lossNodes.map((l) => l.objective));
  if (training.objectives.length > 0) {
    for (const loss of lossNodes) {
      if (!defined.has(loss.objective)) reportAt('GC203', { lossNode: loss.place.node, objective: loss.objective }, loss.place);
    }
  }
  const names = new Set([...doc.modules.map((m) => m.id), ...doc.nodes.map((n) => n.id)]);
  const ids = new Set<string>();
  training.objectives.forEach((objective, i) => {
    const path = `training.objectives[${i}]`;
    // A second objective with the same id would silently replace the first.
    if (ids.has(objective.id)) reportAt('GC207', { objective: objective.id }, { path: `${path}.id` });
    ids.add(objective.id);
    if (!used.has(objective.id)) reportAt('GC201', { objective: objective.id, reason: 'has no loss node naming it' }, { path });
    for (const name of objective.updates) {
      if (!names.has(name)) {
        reportAt('GC201', { objective: objective.id, reason: `updates "${name}", which is neither a module nor a node` }, { path: `${path}.updates` });
      }
    }
  });
  if (lossNodes.length === 0 && doc.nodes.length > 0) reportAt('GC202', {}, {});
}
