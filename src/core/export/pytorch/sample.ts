/**
 * sample.py: every sampler of the graph as a table (its loop, the loop's
 * settings, the Model methods of its networks, its labels) and one short
 * main that runs them on trained weights and writes what `gencomposer
 * sample` writes: a picture of images or points, or the generated text.
 */
import type { Program } from '../../compiler/program.ts';
import { samplerOf } from '../../nodes/sampler-types.ts';
import { conditionChoiceOf } from '../../nodes/sampler-condition.ts';
import { pyString } from '../../base/python.ts';
import { sampleValueRange } from '../../train/sampling.ts';
import { samplerNetworks, networkOps } from '../sampler-networks.ts';
import { pyDocText, type TorchModel } from './model.ts';
import { dataLiteral, pyData } from './train.ts';

function samplersLiteral(program: Program, model: TorchModel): string {
  const values = { valueOf: (key: string) => program.analysis.values.get(key) };
  const entries = program.samplers.map((plan) => {
    const loop = samplerOf(plan).export!.torch(plan.op.params, plan, values);
    const methods = model.samplerMethods.get(plan.op.id)!;
    const networks = samplerNetworks(plan)!;
    const feeds = [...new Set(networks.flatMap((n) => networkOps(n)).filter((op) => op.kind === 'Data' || op.kind === 'Input').map((op) => op.id))];
    const choice = conditionChoiceOf(plan.op.params);
    const condition = plan.condition && {
      choice: choice.kind === 'values' ? [...choice.values] : choice.kind,
      classes: plan.condition.classes ?? null,
      null_label: plan.condition.nullLabel ?? null,
    };
    return [
      `    ${pyString(plan.op.id)}: {`,
      `        'loop': ${pyString(loop.function)},`,
      `        'args': ${pyData(loop.args)},`,
      `        'count': ${(plan.op.params as { count: number }).count},`,
      `        'networks': {${[...methods].map(([name, m]) => `${pyString(name)}: (${pyString(m.method)}, ${pyData(m.inputs)})`).join(', ')}},`,
      `        'condition': ${pyData(condition ?? null)},`,
      `        'data': ${pyData(feeds)},`,
      '    },',
    ].join('\n');
  });
  return ['SAMPLERS = {', ...entries, '}'].join('\n');
}

export function writeSampleScript(program: Program, model: TorchModel): string {
  const t = program.document.training;
  const [low, high] = sampleValueRange(program);
  return `"""
Samples from ${pyDocText(program.document.meta.name)} as GenComposer does, in PyTorch.

  python sample.py                          every sampler, from the trained weights
  python sample.py --sampler NODE --n 16    one sampler, 16 samples
  python sample.py --condition 3,3,7        a conditioned sampler's labels (or each-class, held-out)
  python sample.py --app-random --seed 7    GenComposer's own random draws: what
                                            \`gencomposer sample --seed 7\` draws (slow for long chains)

Weights: --weights, else OUT's training checkpoint (runs/train/checkpoint/),
else weights.safetensors; the weight averages (an objective's ema) of the
checkpoint or averaged.safetensors stand in for the weights they average,
as in GenComposer, unless --raw-weights. Each sampler writes OUT/samples/NODE.png (images or
points) or NODE.txt (text), and NODE.pt with the samples as tensors.
"""
import argparse
import os

import torch

import gencomposer as gc
from model import Model

SEED = ${t.seed}
VALIDATION_SPLIT = ${t.data.validationSplit}
SHUFFLE = ${t.data.shuffle ? 'True' : 'False'}
VALUE_RANGE = (${low}, ${high})
${dataLiteral(program)}
${samplersLiteral(program, model)}

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--sampler', choices=sorted(SAMPLERS), help='one sampler node (default: all)')
    p.add_argument('--n', type=int, default=None, help="samples to draw (default: the sampler's count)")
    p.add_argument('--seed', type=int, default=SEED)
    p.add_argument('--app-random', action='store_true', help="GenComposer's generator instead of torch's: the app's samples for the same seed")
    p.add_argument('--condition', default=None, help='labels of a conditioned sampler: each-class, held-out, or a list such as 3,3,7')
    p.add_argument('--weights', default=None)
    p.add_argument('--raw-weights', action='store_true', help='the trained weights, not their averages')
    p.add_argument('--out', default=os.path.join(HERE, 'runs', 'train'))
    p.add_argument('--data-dir', default=os.path.join(HERE, 'data'))
    p.add_argument('--device', default=None, help='cuda, cpu, ... (default: cuda when available)')
    return p.parse_args()


def condition_choice(text):
    if text is None or text in ('each-class', 'held-out'):
        return text
    try:
        return [int(v) for v in text.split(',')]
    except ValueError:
        raise SystemExit(f'--condition: each-class, held-out or labels such as 3,3,7, not {text!r}')


def main():
    args = parse_args()
    device = torch.device(args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    weights, averages = args.weights, []
    if weights is None:
        checkpoint = os.path.join(args.out, 'checkpoint')
        if os.path.exists(os.path.join(checkpoint, 'weights.safetensors')):
            weights = os.path.join(checkpoint, 'weights.safetensors')
            averages = [os.path.join(checkpoint, f) for f in sorted(os.listdir(checkpoint)) if f.startswith('average-') and f.endswith('.safetensors')]
        else:
            weights = os.path.join(HERE, 'weights.safetensors')
            averages = [p for p in [os.path.join(HERE, 'averaged.safetensors')] if os.path.exists(p)]
    model = Model().to(device)
    gc.load_weights(model, weights)
    print(f'weights: {weights}', flush=True)
    if not args.raw_weights:
        parameters = dict(model.named_parameters())
        with torch.no_grad():
            for path in averages:
                for name, average in gc.load_safetensors(path).items():
                    parameters[name].copy_(average)
                print(f'averages: {path}', flush=True)
    model.eval()
    folder = os.path.join(args.out, 'samples')
    os.makedirs(folder, exist_ok=True)
    condition = condition_choice(args.condition)
    for name in [args.sampler] if args.sampler else list(SAMPLERS):
        spec = SAMPLERS[name]
        count = args.n or spec['count']
        if args.app_random:
            random = gc.AppRandom(args.seed, device)
        else:
            random = gc.TorchRandom(torch.Generator(device=device).manual_seed(args.seed), device)
        batch = {}
        for node in spec['data']:
            if node not in DATA:
                raise SystemExit(f'sampler {name} reads input node {node}, which sample.py cannot feed')
            # The first held-out examples, as GenComposer feeds a sampler that reads data.
            held_out = gc.load_dataset(DATA[node], 'validation', args.data_dir, SEED, VALIDATION_SPLIT, SHUFFLE)
            batch[node] = {port: t.to(device) for port, t in held_out.examples(0, count).items()}
        ctx = gc.Context(random=random, batch=count)
        with torch.no_grad():
            samples, labels = gc.run_sampler(model, spec, count, random, batch, ctx, condition if spec['condition'] else None, device)
        for path in gc.save_samples(os.path.join(folder, name), samples, labels, VALUE_RANGE):
            print(path, flush=True)


if __name__ == '__main__':
    main()
`;
}
