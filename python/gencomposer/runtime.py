"""
What every module may need beyond its inputs: random draws, the objective's
update count (schedules such as a KL warm-up follow it) and the batch size.
One Context per step is handed to the modules that ask for it (`ctx`).
"""
import math

import torch
import torch.nn.functional as F

__all__ = ['Context', 'TorchRandom', 'ReplayRandom', 'activation', 'ACTIVATIONS', 'nchw', 'nhwc', 'same_pads', 'init_', 'init_parameters', 'per_example_sum', 'differentiable', 'sync_global_batch', 'global_batch_synced']


class TorchRandom:
    """
    Draws from a torch.Generator on the model's device (training and
    sampling). With `parts` > 1 this process holds rows `part` of a batch
    split in `parts` (one rank's share, one micro-batch): every draw is made
    for the whole batch and this share's rows are kept, so N ranks draw
    exactly what one process with the global batch draws, from the same
    seed. Every draw's first axis is the batch.
    """

    def __init__(self, generator=None, device=None, part=0, parts=1):
        self.generator = generator
        self.device = device
        self.part = part
        self.parts = parts

    def _rows(self, shape, draw):
        shape = tuple(shape)
        if self.parts == 1 or len(shape) == 0:
            return draw(shape)
        rows = shape[0]
        whole = draw((rows * self.parts,) + shape[1:])
        return whole[self.part * rows:(self.part + 1) * rows]

    def normal(self, shape, dtype=torch.float32):
        return self._rows(shape, lambda s: torch.randn(s, generator=self.generator, device=self.device, dtype=dtype))

    def uniform(self, shape, dtype=torch.float32):
        return self._rows(shape, lambda s: torch.rand(s, generator=self.generator, device=self.device, dtype=dtype))

    def integers(self, shape, high):
        return self._rows(shape, lambda s: torch.randint(0, high, s, generator=self.generator, device=self.device))


class ReplayRandom:
    """Hands out given draws in order, checking kind and shape: replays a GenComposer run's randomness (tests compare against it)."""

    def __init__(self, draws, dtype=torch.float32, device=None):
        self.draws = list(draws)
        self.dtype = dtype
        self.device = device

    def _next(self, kind, shape):
        if not self.draws:
            raise ValueError(f'no random draw left for {kind} {list(shape)}')
        draw = self.draws.pop(0)
        if draw['kind'] != kind or list(draw['shape']) != list(shape):
            raise ValueError(f"random draw {draw['kind']} {draw['shape']} where {kind} {list(shape)} was due")
        dtype = torch.long if kind == 'integers' else self.dtype
        return torch.tensor(draw['values'], dtype=dtype, device=self.device).reshape(tuple(shape))

    def normal(self, shape, dtype=None):
        return self._next('normal', shape)

    def uniform(self, shape, dtype=None):
        return self._next('uniform', shape)

    def integers(self, shape, high):
        return self._next('integers', shape)


class Context:
    """random: TorchRandom or ReplayRandom; step: updates the objective being trained has taken (None outside training); batch: examples in the batch."""

    def __init__(self, random=None, step=None, batch=None):
        self.random = random if random is not None else TorchRandom()
        self.step = step
        self.batch = batch


ACTIVATIONS = {
    'linear': lambda x: x,
    'relu': F.relu,
    'leakyRelu': lambda x: F.leaky_relu(x, 0.2),
    'gelu': lambda x: F.gelu(x, approximate='tanh'),
    'silu': F.silu,
    'tanh': torch.tanh,
    'sigmoid': torch.sigmoid,
    'softplus': F.softplus,
    'exp': torch.exp,
}


def activation(x, name):
    """GenComposer's activation functions by name (leaky ReLU's slope is 0.2, GELU the tanh approximation)."""
    return ACTIVATIONS[name](x)


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def same_pads(n, window, stride):
    """TensorFlow's 'same' padding: ceil(n / stride) outputs, the odd pixel padded at the end."""
    out = -(-n // stride)
    total = max((out - 1) * stride + window - n, 0)
    return total // 2, total - total // 2


def per_example_sum(x):
    return x.reshape(x.shape[0], -1).sum(dim=1)


@torch.no_grad()
def init_(tensor, init):
    """
    Fills a parameter as GenComposer initialises the variable (its Init):
    {'kind': 'zeros' | 'ones' | 'constant' (value) | 'normal' (std) |
    'uniform' (limit) | 'glorotUniform' (fanIn, fanOut)}. The same
    distributions, not the same numbers: load weights.safetensors for those.
    """
    kind = init['kind']
    if kind == 'zeros':
        return tensor.zero_()
    if kind == 'ones':
        return tensor.fill_(1.0)
    if kind == 'constant':
        return tensor.fill_(init['value'])
    if kind == 'normal':
        return tensor.normal_(0.0, init['std'])
    if kind == 'uniform':
        return tensor.uniform_(-init['limit'], init['limit'])
    if kind == 'glorotUniform':
        limit = math.sqrt(6.0 / (init['fanIn'] + init['fanOut']))
        return tensor.uniform_(-limit, limit)
    raise ValueError(f'unknown init {kind}')


def init_parameters(model, inits):
    """Initialises every parameter of a model by its name in `inits` (model.py's INITS); a tied parameter once."""
    names = dict(model.named_parameters())
    missing = sorted(set(names) - set(inits))
    if missing:
        raise ValueError(f'no initialiser for parameters {missing}')
    for name, param in names.items():
        init_(param, inits[name])


def differentiable(x):
    """x itself when autograd already tracks it, else a leaf that does: a gradient penalty differentiates the critic with respect to it."""
    return x if x.requires_grad else x.detach().requires_grad_(True)


_SYNC_GLOBAL_BATCH = False


def sync_global_batch(on):
    """
    train.py turns it on under DDP: what a loss or a layer computes over the
    whole batch (BatchNorm's statistics, a language model's count of tokens)
    is then taken over every rank's part of it, as one process would.
    """
    global _SYNC_GLOBAL_BATCH
    _SYNC_GLOBAL_BATCH = bool(on)


def global_batch_synced():
    return _SYNC_GLOBAL_BATCH and torch.distributed.is_available() and torch.distributed.is_initialized() and torch.distributed.get_world_size() > 1
