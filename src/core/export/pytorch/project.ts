/**
 * The whole PyTorch project for a compiled graph: model.py, train.py,
 * the weights as safetensors (PyTorch names and layouts), the gencomposer
 * package, requirements and a README. Pure: the caller supplies the
 * package's files and the weights, and writes the files where it likes
 * (the CLI to a folder, the app into a zip).
 */
import type { Diagnostic } from '../../base/diagnostics.ts';
import type { Program } from '../../compiler/program.ts';
import { initialVariableValues } from '../../compiler/forward.ts';
import { encodeSafetensors, type NamedTensor } from '../safetensors.ts';
import { toTorchLayout, torchShape } from './layouts.ts';
import { writeTorchModel, type TorchParameter } from './model.ts';
import { writeTrainScript } from './train.ts';
import { writeSampleScript } from './sample.ts';

export interface ProjectFile {
  path: string;
  data: string | Uint8Array;
}

export interface PytorchProjectOptions {
  /** python/gencomposer/*.py by file name. */
  library: Readonly<Record<string, string>>;
  /** Weights by variable key (GenComposer layout); the seed's initial weights when absent. */
  weights?: ReadonlyMap<string, Float32Array>;
  /** The weight averages (an objective's ema) that samples come from, where the checkpoint keeps them: averaged.safetensors. */
  averaged?: ReadonlyMap<string, Float32Array>;
  /** Where the weights came from, for the README and the file's metadata. */
  weightsFrom?: string;
  /** The data files the graph reads (exportedDataFiles), by their path in the project. */
  data?: ReadonlyMap<string, Uint8Array>;
}

export type PytorchProjectResult = { ok: true; files: ProjectFile[]; parameters: TorchParameter[] } | { ok: false; diagnostics: Diagnostic[] };

/** The values training would start from: every variable drawn from the seed in op order, as the app does. */
export function initialWeights(program: Program, seed = program.document.training.seed): Map<string, Float32Array> {
  return new Map([...initialVariableValues(program.analysis, seed)].map(([key, { values }]) => [key, values]));
}

/** The weights under model.py's names, in PyTorch's layouts. */
export function torchTensors(parameters: readonly TorchParameter[], weights: ReadonlyMap<string, Float32Array>): NamedTensor[] {
  return parameters.map((p) => {
    const values = weights.get(p.key);
    if (!values) throw new Error(`no values for weights "${p.key}"`);
    return { name: p.name, dtype: 'F32', shape: torchShape(p.shape, p.layout), data: toTorchLayout(values, p.shape, p.layout) };
  });
}

export function pytorchProject(program: Program, options: PytorchProjectOptions): PytorchProjectResult {
  const written = writeTorchModel(program);
  if (!written.ok) return written;
  const { model } = written;
  const weights = options.weights ?? initialWeights(program);
  const from = options.weightsFrom ?? `the initial weights of seed ${program.document.training.seed}`;
  const files: ProjectFile[] = [
    { path: 'model.py', data: model.source },
    { path: 'train.py', data: writeTrainScript(program, model) },
    ...(program.samplers.length > 0 ? [{ path: 'sample.py', data: writeSampleScript(program, model) }] : []),
    { path: 'weights.safetensors', data: encodeSafetensors(torchTensors(model.parameters, weights), { format: 'pt', source: 'gencomposer', weights: from }) },
    ...(options.averaged
      ? [{ path: 'averaged.safetensors', data: encodeSafetensors(torchTensors(model.parameters, options.averaged), { format: 'pt', source: 'gencomposer', weights: `the weight averages of ${from}` }) }]
      : []),
    { path: 'requirements.txt', data: 'torch>=1.13\nnumpy\npillow\n' },
    { path: 'README.md', data: readme(program, from) },
    ...Object.entries(options.library).map(([name, text]) => ({ path: `gencomposer/${name}`, data: text })),
    ...[...(options.data ?? [])].map(([path, data]) => ({ path, data })),
  ];
  return { ok: true, files, parameters: model.parameters };
}

function sampleSection(program: Program): string {
  const names = program.samplers.map((p) => `\`${p.op.id}\``).join(', ');
  return `
## Sample

    python sample.py                        every sampler (${names}), from runs/train/checkpoint/
    python sample.py --app-random --seed 7  the draws GenComposer makes for seed 7

Pictures (images, or 2-D points) and text go to runs/train/samples/, each
sampler's samples also as a tensor file (NODE.pt).
`;
}

function readme(program: Program, from: string): string {
  const name = program.document.meta.name;
  const objectives = program.objectives.map((o) => `\`${o.id}\` (${o.losses.map((op) => op.origin.node).join(' + ')}, ${o.optimizer.type}, share ${o.share})`).join('; ');
  return `# ${name}

Exported from GenComposer. The model and its training are the graph's:
model.py builds the nodes (their ids in comments), train.py trains the
objectives ${objectives} in the document's cycle.

weights.safetensors holds ${from}, under the names of model.py's state_dict.

## Train

    pip install -r requirements.txt        # or a PyTorch you already have (1.13 or newer)
    python train.py                         # one process, on the GPU if there is one
    torchrun --standalone --nproc_per_node=2 train.py    # two processes, DistributedDataParallel

\`python train.py --help\` lists the options (steps, batch size, gradient
accumulation, output folder, resume). Losses go to runs/train/metrics.jsonl
and the checkpoint to runs/train/checkpoint/.
${program.samplers.length > 0 ? sampleSection(program) : ''}
## Back into GenComposer

    npx gencomposer import-weights GRAPH.json --from runs/train/checkpoint/weights.safetensors --out CHECKPOINT_DIR

Tensors are channels last ([B, H, W, C]) throughout, as on the canvas;
convolutions move the channels first only inside their module.
`;
}
