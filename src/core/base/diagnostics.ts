/**
 * Every problem GenComposer reports, in one table with stable codes.
 *
 * Codes never change meaning once released; new problems get new codes.
 * GC0xx: the file itself (reading, JSON, format, version, limits, schema).
 * GC1xx: the graph (nodes, ports, edges, modules, shapes, budget).
 * GC2xx: training settings.
 * GC3xx: export (PyTorch, ONNX, weight files).
 */
import { printable } from './text.ts';
import { formatShape, type Shape } from './shape.ts';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  /** Top-level node the problem belongs to (for problems inside modules, the module's node). */
  node?: string;
  port?: string;
  /** Module that holds the node, when it is inside one. */
  module?: string;
  /** JSON path into the document, for file-level problems (e.g. `nodes[3].params.units`). */
  path?: string;
}

type Args = Record<string, unknown>;
/** Values come from documents and files: printed inert, so a message cannot forge output (see base/text.ts). */
const s = (v: unknown) => printable(String(v));
const shape = (v: unknown) => formatShape(v as Shape);

export const DIAGNOSTICS = {
  GC001: { severity: 'error', text: (a: Args) => `The file is ${s(a.size)} bytes; the limit is ${s(a.limit)} bytes.` },
  GC002: { severity: 'error', text: (a: Args) => `The file is not valid JSON: ${s(a.reason)}.` },
  GC003: { severity: 'error', text: (a: Args) => `This is not a GenComposer graph: expected "format": "gencomposer.graph", found ${s(a.found)}.` },
  GC004: { severity: 'error', text: (a: Args) => `The document's version ${s(a.found)} is not supported: this GenComposer reads versions 1 to ${s(a.latest)}.` },
  GC005: { severity: 'error', text: (a: Args) => `Upgrading the document from version ${s(a.from)} failed: ${s(a.reason)}.` },
  GC006: { severity: 'error', text: (a: Args) => `${s(a.reason)}.` },
  GC007: { severity: 'error', text: (a: Args) => `The document exceeds a limit: ${s(a.reason)}.` },
  GC008: { severity: 'error', text: (a: Args) => `The id "${s(a.id)}" is used more than once.` },
  GC009: { severity: 'error', text: (a: Args) => `The file cannot be read: ${s(a.reason)}.` },
  GC010: { severity: 'error', text: (a: Args) => `The file is not valid UTF-8: ${s(a.reason)}, at byte offset ${s(a.offset)}. Save it as UTF-8 text.` },

  GC101: { severity: 'error', text: (a: Args) => `Unknown node kind "${s(a.kind)}".` },
  GC102: { severity: 'error', text: (a: Args) => `Input "${s(a.port)}" is not connected; this node needs it.` },
  GC103: { severity: 'error', text: (a: Args) => `Edge "${s(a.edge)}" points to ${s(a.what)} that does not exist.` },
  GC104: { severity: 'error', text: (a: Args) => `Input "${s(a.port)}" has ${s(a.count)} incoming edges; an input takes one.` },
  GC105: { severity: 'error', text: (a: Args) => `The graph has a cycle through ${s(a.nodes)}; data must flow one way.` },
  GC106: { severity: 'error', text: (a: Args) => `Shape mismatch on "${s(a.port)}": expected ${s(a.expected)}, got ${shape(a.got)}.` },
  GC107: { severity: 'error', text: (a: Args) => `Parameter "${s(a.param)}" is invalid: ${s(a.reason)}.` },
  GC108: { severity: 'error', text: (a: Args) => `Module "${s(a.module)}" contains itself (through ${s(a.chain)}).` },
  GC109: { severity: 'error', text: (a: Args) => `The graph needs about ${s(a.needMB)} MB for training (parameters, optimizer state and activations at batch ${s(a.batch)}); the budget is ${s(a.budgetMB)} MB.` },
  GC110: { severity: 'error', text: (a: Args) => `Port type mismatch on "${s(a.port)}": ${s(a.from)} cannot feed ${s(a.to)}.` },
  GC111: { severity: 'error', text: (a: Args) => `Module "${s(a.module)}" is not defined in this document.` },
  GC112: { severity: 'error', text: (a: Args) => `The shape ${shape(a.shape)} on "${s(a.port)}" has rank ${s(a.rank)}; tensors of rank above ${s(a.max)} are not supported.` },
  GC113: { severity: 'error', text: (a: Args) => `${s(a.reason)}.` },
  GC114: { severity: 'warning', text: (a: Args) => `Output "${s(a.port)}" is not used by anything.` },
  GC115: { severity: 'error', text: (a: Args) => `The graph expands to about ${s(a.total)} operations once its modules and blocks are expanded (${s(a.detail)}); the limit is ${s(a.limit)}.` },
  GC116: { severity: 'error', text: (a: Args) => `Token ids reaching "${s(a.port)}" run up to ${s(a.max)} (${s(a.from)}), but ${s(a.what)}: every id must be below that.` },
  GC117: { severity: 'error', text: (a: Args) => `Weights "${s(a.key)}" would have shape ${s(a.here)} in this placement but have ${s(a.there)} in "${s(a.first)}": the placements of a module share its weights, so each must see inputs of the same shape.` },
  GC118: { severity: 'error', text: (a: Args) => `This node comes after a sampler, so it runs only when sampling, but ${s(a.reason)}.` },
  GC119: { severity: 'error', text: (a: Args) => `Parameter "${s(a.param)}" ties this node's weights to "${s(a.target)}", but ${s(a.reason)}.` },
  GC130: { severity: 'error', text: (a: Args) => `The gradient penalty differentiates the critic's gradient again in training, but ${s(a.reason)}.` },
  GC131: { severity: 'warning', text: (a: Args) => `The gradient penalty's critic has ${s(a.kind)} "${s(a.at)}", which mixes the examples of a batch: the penalised gradient of each example is then not its own (WGAN-GP's critic has none; use LayerNorm or no norm).` },

  GC201: { severity: 'error', text: (a: Args) => `Objective "${s(a.objective)}" ${s(a.reason)}.` },
  GC202: { severity: 'warning', text: () => `The graph has no objective node, so it has nothing to train.` },
  GC203: { severity: 'error', text: (a: Args) => `Loss node "${s(a.lossNode)}" belongs to objective "${s(a.objective)}", which training does not define.` },
  GC204: { severity: 'error', text: (a: Args) => `Objective "${s(a.objective)}" updates no variable that its losses depend on (it updates: ${s(a.updates)}).` },
  GC205: { severity: 'error', text: (a: Args) => `Sampler "${s(a.sampler)}" cannot sample: ${s(a.reason)}.` },
  GC206: { severity: 'error', text: (a: Args) => `Training stopped at step ${s(a.step)}: the loss of objective "${s(a.objective)}" became ${s(a.value)}. Try a lower learning rate or gradient clipping.` },
  GC207: { severity: 'error', text: (a: Args) => `The objective id "${s(a.objective)}" is used more than once; each objective needs its own id.` },
  GC208: { severity: 'warning', text: (a: Args) => `The document asks for a memory budget of ${s(a.requestedMB)} MB; the limit set here is ${s(a.limitMB)} MB (--memory-budget, or Memory limit in the app), so the budget is ${s(a.limitMB)} MB.` },

  GC301: { severity: 'error', text: (a: Args) => `Export to ${s(a.to)} cannot write this node: ${s(a.reason)}.` },
  GC302: { severity: 'error', text: (a: Args) => `Export to ONNX cannot translate TF.js kernel ${s(a.kernel)}${a.detail ? ` (${s(a.detail)})` : ''}, which network "${s(a.network)}" of sampler "${s(a.sampler)}" runs.` },
  GC303: { severity: 'error', text: (a: Args) => `Export to ONNX cannot trace network "${s(a.network)}" of sampler "${s(a.sampler)}": ${s(a.reason)}.` },
} as const satisfies Record<string, { severity: Severity; text: (a: Args) => string }>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

export interface DiagnosticPlace {
  node?: string;
  port?: string;
  module?: string;
  path?: string;
}

export function diagnostic(code: DiagnosticCode, args: Args = {}, place: DiagnosticPlace = {}): Diagnostic {
  const entry = DIAGNOSTICS[code];
  const d: Diagnostic = { code, severity: entry.severity, message: entry.text(args) };
  if (place.node !== undefined) d.node = place.node;
  if (place.port !== undefined) d.port = place.port;
  if (place.module !== undefined) d.module = place.module;
  if (place.path !== undefined) d.path = place.path;
  return d;
}

/** Thrown inside shape inference to report one problem at the node being inferred. */
export class ShapeError extends Error {
  constructor(
    readonly code: DiagnosticCode,
    readonly args: Args,
    readonly port?: string,
  ) {
    super(DIAGNOSTICS[code].text(args));
  }
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
