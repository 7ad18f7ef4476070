/**
 * train.py: the document's training settings as constants at the top, then
 * one readable loop in the nanoGPT manner: the rank from the environment
 * when torchrun starts it (DistributedDataParallel, nccl on GPUs, gloo on
 * CPUs), each rank a slice of the global batch, gradient accumulation under
 * no_sync, rank 0 logging and checkpointing. The objectives take steps in
 * the document's share cycle, each with its own optimizer over its own
 * parameters, as in the app.
 */
import type { Program } from '../../compiler/program.ts';
import { dataParamApplies, type DataParamName, type DataParams } from '../../data/datasets.ts';
import type { PyValue } from '../../nodes/types.ts';
import { pyLiteral, pyString } from '../../base/python.ts';
import { pyDocText, type TorchModel } from './model.ts';

/** A JSON-like value as a Python literal (dicts too). */
export function pyData(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (Array.isArray(value)) return `[${value.map(pyData).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${pyString(k)}: ${pyData(v)}`)
      .join(', ')}}`;
  }
  return pyLiteral(value as PyValue);
}

function objectivesLiteral(program: Program, model: TorchModel): string {
  const names = new Map(model.parameters.map((p) => [p.key, p.name]));
  const lines = program.objectives.map((o) => {
    const data = [...new Set(o.ops.filter((op) => op.kind === 'Data' || op.kind === 'Input').map((op) => op.id))];
    return [
      '    {',
      `        'id': ${pyString(o.id)},`,
      `        'share': ${o.share},`,
      `        'optimizer': ${pyData(o.optimizer)},`,
      `        'data': ${pyData(data)},`,
      `        'parameters': ${pyData(o.variables.map((key) => names.get(key)!))},`,
      '    },',
    ].join('\n');
  });
  return ['OBJECTIVES = [', ...lines, ']'].join('\n');
}

export function dataLiteral(program: Program): string {
  const feeds = program.feeds.filter((op) => op.kind === 'Data');
  // Only the params the dataset reads (the others keep values the Data node ignores).
  const params = (p: DataParams) => Object.fromEntries(Object.entries(p).filter(([name]) => name === 'dataset' || dataParamApplies(p.dataset, name as DataParamName)));
  return ['DATA = {', ...feeds.map((op) => `    ${pyString(op.id)}: ${pyData(params(op.params as DataParams))},`), '}'].join('\n');
}

/**
 * Whether DDP must look for parameters without a gradient at every step: some
 * objective leaves parameters untrained, or stops gradients on their way
 * (a StopGradient node), so a step's backward may not reach them all.
 */
function findUnused(program: Program): boolean {
  return program.objectives.some((o) => new Set(o.variables).size < program.variables.length || o.ops.some((op) => op.kind === 'StopGradient'));
}

export function writeTrainScript(program: Program, model: TorchModel): string {
  const t = program.document.training;
  return `"""
Trains ${pyDocText(program.document.meta.name)} as GenComposer does, in PyTorch.

  python train.py                                   one process (GPU if there is one)
  torchrun --standalone --nproc_per_node=N train.py N processes, DistributedDataParallel
  python train.py --steps 100 --out runs/try        fewer steps, another folder
  python train.py --resume                          carry on from --out's checkpoint

Every rank takes batch_size / N examples of each global batch, so N ranks
take the same steps as one process. Losses are logged to OUT/metrics.jsonl;
OUT/checkpoint/ holds weights.safetensors (the names of model.py's
state_dict), the optimizers' state and the step.
"""
import argparse
import gc as gc_module
import json
import os
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

import gencomposer as gc
from model import Model

# The document's training settings.
SEED = ${t.seed}
BATCH_SIZE = ${t.batchSize}
STEPS = ${t.steps}
VALIDATION_SPLIT = ${t.data.validationSplit}
SHUFFLE = ${t.data.shuffle ? 'True' : 'False'}
${objectivesLiteral(program, model)}
${dataLiteral(program)}
# Parameters a step's objective does not train (the other network of a GAN) or reaches only through a
# StopGradient get no gradient in it, and DistributedDataParallel must look for them at every step.
FIND_UNUSED_PARAMETERS = ${findUnused(program) ? 'True' : 'False'}

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--steps', type=int, default=STEPS, help='train until this many steps (default: the document\\'s)')
    p.add_argument('--batch-size', type=int, default=BATCH_SIZE, help='global batch, over all ranks')
    p.add_argument('--accumulate', type=int, default=1, help='micro-batches per step on each rank (gradient accumulation)')
    p.add_argument('--seed', type=int, default=SEED)
    p.add_argument('--out', default=os.path.join(HERE, 'runs', 'train'))
    p.add_argument('--weights', default=os.path.join(HERE, 'weights.safetensors'), help='initial weights (skipped when missing)')
    p.add_argument('--data-dir', default=os.path.join(HERE, 'data'))
    p.add_argument('--log-every', type=int, default=50)
    p.add_argument('--save-every', type=int, default=500)
    p.add_argument('--resume', action='store_true')
    p.add_argument('--device', default=None, help='cuda, cpu, ... (default: cuda when available)')
    return p.parse_args()


def main():
    args = parse_args()
    # torchrun sets RANK, LOCAL_RANK and WORLD_SIZE; plain python runs one process.
    distributed = int(os.environ.get('RANK', -1)) != -1
    if distributed:
        rank, local_rank, world = int(os.environ['RANK']), int(os.environ['LOCAL_RANK']), int(os.environ['WORLD_SIZE'])
        use_cuda = torch.cuda.is_available() and args.device in (None, 'cuda')
        dist.init_process_group(backend='nccl' if use_cuda else 'gloo')
        device = torch.device(f'cuda:{local_rank}') if use_cuda else torch.device('cpu')
        if use_cuda:
            torch.cuda.set_device(device)
    else:
        rank, local_rank, world = 0, 0, 1
        device = torch.device(args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    master = rank == 0
    if args.batch_size % (world * args.accumulate) != 0:
        raise SystemExit(f'--batch-size {args.batch_size} must divide by ranks x --accumulate ({world} x {args.accumulate})')

    torch.manual_seed(args.seed)  # the same initial weights on every rank
    model = Model().to(device)
    if os.path.exists(args.weights):
        gc.load_weights(model, args.weights)
    raw_model = model
    if distributed:
        # BatchNorm keeps no running averages, so there are no buffers to broadcast.
        model = DDP(model, device_ids=[local_rank] if device.type == 'cuda' else None, find_unused_parameters=FIND_UNUSED_PARAMETERS, broadcast_buffers=False)
        # BatchNorm statistics and token counts (a language model's mean over tokens) are the global batch's,
        # every rank's part of it, as one process would have them.
        gc.sync_global_batch(True)

    optimizers = {o['id']: gc.make_optimizer(raw_model, o['parameters'], o['optimizer']) for o in OBJECTIVES}
    averages = {o['id']: gc.WeightAverage(raw_model, o['parameters'], o['optimizer']['ema']) for o in OBJECTIVES if o['optimizer']['ema'] > 0}
    cycle = [o for o in OBJECTIVES for _ in range(o['share'])]
    datasets = {node: gc.load_dataset(params, 'train', args.data_dir, args.seed, VALIDATION_SPLIT, SHUFFLE) for node, params in DATA.items()}

    step, updates = 0, {o['id']: 0 for o in OBJECTIVES}
    checkpoint_dir = os.path.join(args.out, 'checkpoint')
    if args.resume:
        step, updates = gc.load_checkpoint(checkpoint_dir, raw_model, optimizers, averages)
    if master:
        os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, 'metrics.jsonl'), 'a') if master else None
    sums, started = {}, time.time()

    while step < args.steps:
        objective = cycle[step % len(cycle)]
        oid = objective['id']
        # This rank's share of the global batch, the global batch's random draws (noise, dropout, diffusion
        # steps) from a seed per step: N ranks train exactly as one process would, and a resumed run draws
        # what the first would have. Schedules (learning rate, a KL warm-up) follow the objective's own updates.
        step_losses = gc.train_step(model, raw_model, objective, optimizers[oid], averages.get(oid), datasets, args.batch_size, step, updates[oid],
                                    args.seed, device, rank, world, args.accumulate)
        updates[oid] += 1
        step += 1

        # Mean over ranks: the loss of the global batch.
        total = gc.mean_over_ranks(torch.stack(list(step_losses.values())), distributed)
        acc = sums.setdefault(oid, {'steps': 0, 'losses': {}})
        acc['steps'] += 1
        for name, value in zip(step_losses, total.tolist()):
            acc['losses'][name] = acc['losses'].get(name, 0.0) + value
        if step % args.log_every == 0 or step == args.steps:
            if master:
                record = {'step': step, 'losses': {}, 'elapsedSeconds': round(time.time() - started, 3)}
                for oid, a in sums.items():
                    losses = {name: v / a['steps'] for name, v in a['losses'].items()}
                    record['losses'][oid] = {'total': sum(losses.values()), **losses}
                log.write(json.dumps(record) + '\\n')
                log.flush()
                print(f"step {step}/{args.steps} " + ' '.join(f"{oid} {r['total']:.4f}" for oid, r in record['losses'].items()), flush=True)
            sums = {}
        if master and (step % args.save_every == 0 or step == args.steps):
            gc.save_checkpoint(checkpoint_dir, raw_model, optimizers, averages, step, updates)
    if log:
        log.close()
    if distributed:
        # DDP keeps the ranks' parameters equal by construction; say so, or stop if something broke it.
        difference = gc.rank_disagreement(raw_model)
        if master:
            print(f'parameters on all {world} ranks: largest difference from rank 0 {difference:g}', flush=True)
        # Everything that holds DDP's hooks goes before the process group does: with gloo (PyTorch 1.13) a
        # reducer freed after destroy_process_group can hang the exit.
        del model, raw_model, optimizers, averages
        gc_module.collect()
        dist.barrier()
        dist.destroy_process_group()
        if difference != 0:
            raise SystemExit('the ranks ended with different parameters')


if __name__ == '__main__':
    main()
`;
}
