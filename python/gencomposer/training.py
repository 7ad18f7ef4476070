"""
The pieces of train.py that are the same for every graph: optimizers as
GenComposer configures them, the learning-rate schedule, gradient clipping,
weight averages, seeds, and weights and checkpoints on disk.
"""
import json
import math
import os
import shutil

import torch
import torch.distributed as dist

from contextlib import nullcontext

from .data import train_batch
from .runtime import Context, TorchRandom
from .weights import load_safetensors, save_safetensors

__all__ = [
    'make_optimizer', 'learning_rate_at', 'set_learning_rate', 'clip_grad_norm', 'WeightAverage', 'step_seed',
    'mean_over_ranks', 'rank_disagreement', 'named_parameters', 'load_weights', 'save_weights', 'save_checkpoint', 'load_checkpoint',
    'train_step',
]


def named_parameters(model):
    """Parameters by their state_dict name, a tied parameter once (under the first module that holds it)."""
    return dict(model.named_parameters())


def make_optimizer(model, names, settings):
    """
    An optimizer over the named parameters with the objective's settings:
    Adam (L2 weight decay added to the gradient), AdamW (decoupled decay) or
    SGD with momentum (set_learning_rate readies each update).
    """
    params = named_parameters(model)
    group = [params[n] for n in names]
    kind, lr = settings['type'], settings['learningRate']
    if kind == 'adam':
        return torch.optim.Adam(group, lr=lr, betas=(settings['beta1'], settings['beta2']), eps=1e-8, weight_decay=settings['weightDecay'])
    if kind == 'adamw':
        return torch.optim.AdamW(group, lr=lr, betas=(settings['beta1'], settings['beta2']), eps=1e-8, weight_decay=settings['weightDecay'])
    if kind == 'sgd':
        return torch.optim.SGD(group, lr=lr, momentum=settings['momentum'], weight_decay=settings['weightDecay'])
    raise ValueError(f'unknown optimizer {kind!r}')


def learning_rate_at(settings, t):
    """The rate of update t (0 for the first): constant, or a linear warm-up then an optional cosine decay to a floor."""
    lr = settings['learningRate']
    schedule = settings.get('schedule')
    if not schedule:
        return lr
    if t < schedule['warmupSteps']:
        return lr * (t + 1) / schedule['warmupSteps']
    if schedule['decay'] == 'none':
        return lr
    progress = min(1.0, (t - schedule['warmupSteps']) / schedule['decaySteps'])
    low = schedule['minLearningRate']
    return low + (lr - low) * 0.5 * (1 + math.cos(math.pi * progress))


def set_learning_rate(optimizer, settings, t):
    """
    Readies update t (0 for the first): the schedule's learning rate, and for
    Adam and AdamW the epsilon that makes PyTorch's update GenComposer's.
    GenComposer divides by sqrt(v) + eps before correcting v's bias, PyTorch
    after: eps / sqrt(1 - beta2^(t+1)) in PyTorch's place is the same update
    (it matters for parameters whose gradients are near 1e-8 in scale).
    """
    for group in optimizer.param_groups:
        group['lr'] = learning_rate_at(settings, t)
        if settings['type'] in ('adam', 'adamw'):
            group['eps'] = 1e-8 / math.sqrt(1 - settings['beta2'] ** (t + 1))


@torch.no_grad()
def clip_grad_norm(model, names, clip):
    """Scales the objective's gradients by min(1, clip / ||g||) over all of them together; clip 0 turns it off."""
    if clip <= 0:
        return
    params = named_parameters(model)
    grads = [params[n].grad for n in names if params[n].grad is not None]
    if not grads:
        return
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
    scale = min(1.0, clip / max(norm.item(), 1e-12))
    for g in grads:
        g.mul_(scale)


class WeightAverage:
    """An exponential moving average of an objective's weights (its `ema`), started at the weights after the first update; samples use it."""

    def __init__(self, model, names, decay):
        self.params = {n: p for n, p in named_parameters(model).items() if n in set(names)}
        self.decay = decay
        self.averages = {}

    @torch.no_grad()
    def update(self):
        for name, p in self.params.items():
            if name not in self.averages:
                self.averages[name] = p.detach().clone()
            else:
                self.averages[name].mul_(self.decay).add_(p.detach(), alpha=1 - self.decay)

    @torch.no_grad()
    def swap_in(self):
        """Puts the averages in the model and returns the trained weights, for swap_out."""
        saved = {}
        for name, avg in self.averages.items():
            saved[name] = self.params[name].detach().clone()
            self.params[name].copy_(avg)
        return saved

    @torch.no_grad()
    def swap_out(self, saved):
        for name, value in saved.items():
            self.params[name].copy_(value)


def step_seed(seed, step, salt=0):
    """A seed per (seed, step, salt) for the step's random draws: the same on a resumed run."""
    h = (seed * 0x9E3779B1 + (step + 1) * 0x85EBCA6B + (salt + 1) * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x7FEB352D) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def mean_over_ranks(values, distributed):
    """Mean of a tensor over all ranks (itself on one process)."""
    if not distributed:
        return values
    values = values.clone()
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values / dist.get_world_size()


@torch.no_grad()
def rank_disagreement(model):
    """The largest absolute difference of any parameter from rank 0's, over all ranks (0 when they agree)."""
    worst = torch.zeros((), dtype=torch.float64)
    for p in named_parameters(model).values():
        reference = p.detach().clone()
        dist.broadcast(reference, src=0)
        worst = torch.maximum(worst, (p.detach() - reference).abs().max().double().cpu())
    worst = worst.to(next(model.parameters()).device)
    dist.all_reduce(worst, op=dist.ReduceOp.MAX)
    return worst.item()


def load_weights(model, path):
    """Loads weights.safetensors into the model: every parameter must be in the file with its shape, and nothing else."""
    tensors = load_safetensors(path)
    params = named_parameters(model)
    missing = sorted(set(params) - set(tensors))
    extra = sorted(set(tensors) - set(params))
    if missing or extra:
        raise ValueError(f'{path}: the weights do not fit model.py (missing: {missing[:5]}, not in the model: {extra[:5]})')
    with torch.no_grad():
        for name, p in params.items():
            t = tensors[name]
            if tuple(t.shape) != tuple(p.shape):
                raise ValueError(f'{path}: tensor {name} has shape {list(t.shape)}, the model\'s parameter {list(p.shape)}')
            p.copy_(t.to(p.dtype))


def save_weights(model, path, metadata=None):
    tensors = {name: p.detach().float().cpu().contiguous() for name, p in named_parameters(model).items()}
    save_safetensors(path, tensors, metadata)


def save_checkpoint(directory, model, optimizers, averages, step, updates):
    """Writes a checkpoint folder whole or not at all: into a fresh folder beside it, then renamed over it."""
    parent = os.path.dirname(os.path.abspath(directory))
    os.makedirs(parent, exist_ok=True)
    partial = directory + '.partial'
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    save_weights(model, os.path.join(partial, 'weights.safetensors'))
    for oid, average in averages.items():
        if average.averages:
            save_safetensors(os.path.join(partial, f'average-{oid}.safetensors'), {n: t.float().cpu().contiguous() for n, t in average.averages.items()})
    torch.save({oid: o.state_dict() for oid, o in optimizers.items()}, os.path.join(partial, 'optimizers.pt'))
    with open(os.path.join(partial, 'state.json'), 'w') as f:
        json.dump({'step': step, 'updates': updates}, f)
    old = directory + '.old'
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(directory):
        os.rename(directory, old)
    os.rename(partial, directory)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(directory, model, optimizers, averages):
    """Restores what save_checkpoint wrote; returns (step, updates per objective)."""
    with open(os.path.join(directory, 'state.json')) as f:
        state = json.load(f)
    load_weights(model, os.path.join(directory, 'weights.safetensors'))
    saved = torch.load(os.path.join(directory, 'optimizers.pt'), map_location='cpu')
    for oid, optimizer in optimizers.items():
        optimizer.load_state_dict(saved[oid])
    for oid, average in averages.items():
        path = os.path.join(directory, f'average-{oid}.safetensors')
        if os.path.exists(path):
            average.averages = {n: t.to(average.params[n].device) for n, t in load_safetensors(path).items()}
    return state['step'], state['updates']


def train_step(model, raw_model, objective, optimizer, average, datasets, batch_size, step, taken, seed, device, rank=0, world=1, accumulate=1):
    """
    One update of an objective (train.py's OBJECTIVES entry) as GenComposer
    takes it: this process's share of the global batch (rank of world, in
    `accumulate` micro-batches, DDP's gradients synced on the last), the
    random draws of the global batch's rows from the step's seed, clipping,
    the learning rate of the objective's own update count `taken`, the
    optimizer step and the weight average. `model` is what runs the forward
    (DDP's wrapper, or the model itself); returns the step's losses by loss
    node, this process's, averaged over its micro-batches.
    """
    raw_model.zero_grad(set_to_none=True)
    parts = world * accumulate
    losses = {}
    for micro in range(accumulate):
        # Part number `part` of the global batch: N ranks draw and read exactly what one process would.
        part = rank * accumulate + micro
        generator = torch.Generator(device=device).manual_seed(step_seed(seed, step))
        ctx = Context(random=TorchRandom(generator, device, part, parts), step=taken, batch=batch_size // parts)
        batch = {node: {port: t.to(device, non_blocking=True) for port, t in train_batch(datasets[node], batch_size, step, part, parts, seed).items()} for node in objective['data']}
        last = micro == accumulate - 1
        with model.no_sync() if hasattr(model, 'no_sync') and not last else nullcontext():
            out = model(batch, objective['id'], ctx)
            (sum(out['losses'].values()) / accumulate).backward()
        for name, value in out['losses'].items():
            losses[name] = losses.get(name, 0.0) + value.detach() / accumulate
    clip_grad_norm(raw_model, objective['parameters'], objective['optimizer']['clipNorm'])
    set_learning_rate(optimizer, objective['optimizer'], taken)
    optimizer.step()
    if average is not None:
        average.update()
    return losses
