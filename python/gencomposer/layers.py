"""
GenComposer's layers as PyTorch modules: one class per node kind, computing
what the kind computes in the app (the same padding, the same statistics,
the same random draws in the same order). Tensors keep GenComposer's layout,
channels last ([B, H, W, C] images, [B, T, D] sequences); convolutions move
the channels first inside and back.

Constructor arguments are the node's params in snake_case plus the input
sizes a layer needs to create its parameters (in_features, in_channels ...).
forward takes the node's inputs as keyword arguments named like its ports;
layers that draw random numbers take `ctx` (gencomposer.Context) as well.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .runtime import activation, global_batch_synced, nchw, nhwc, same_pads

__all__ = [
    'Dense', 'Conv2D', 'Conv2DTranspose', 'MaskedConv2D', 'MaxPool2D', 'AvgPool2D',
    'BatchNorm', 'GroupNorm', 'LayerNorm', 'Dropout', 'ConditionDropout', 'Interpolate',
    'Noise', 'Constant', 'SinusoidalEmbedding', 'Embedding', 'PositionalEncoding',
    'causal_mask', 'MASKED_SCORE', 'pixel_mask', 'timestep_frequencies', 'timestep_embedding', 'sinusoid_table',
]

# Added to masked attention scores: after a softmax they weigh exp(-1e9) = 0, without the NaN of -inf.
MASKED_SCORE = -1e9


class _Tied:
    """Weight tying for layers whose matrix another node may own (the node's `tiedTo`)."""

    def tie(self, weight, transposed=False):
        """
        Uses `weight`, another module's parameter, as this layer's matrix
        from now on (one parameter, trained by both). transposed: the
        lender holds it the other way round (another Dense's [out, in]).
        """
        if not isinstance(weight, nn.Parameter):
            raise TypeError('tie() takes the lender\'s nn.Parameter')
        del self.weight
        self.weight = weight
        self.transposed = transposed

    def matrix(self):
        return self.weight.t() if self.transposed else self.weight


class Dense(_Tied, nn.Linear):
    """
    A fully connected layer over the last axis of x ([B, features],
    [B, T, features], [B, H, W, features]): y = activation(x Wᵀ + b), W held
    as nn.Linear holds it, [units, in_features].

    Weight tying (the node's `tiedTo`): model.py builds the layer, then
    calls `layer.tie(lender_parameter, transposed)`, and the layer uses that
    parameter instead of its own. An Embedding's table or a quantizer's
    codebook [vocab, dim] is this layer's [units, in_features] as it is
    (logits x · tableᵀ); another Dense's weight is [its units, its inputs],
    which this layer uses transposed (transposed=True), as the decoder of a
    tied autoencoder does.
    """

    def __init__(self, in_features, units, activation='linear', use_bias=True):
        super().__init__(in_features, units, bias=use_bias)
        self.activation = activation
        self.transposed = False

    def forward(self, x):
        return activation(F.linear(x, self.matrix(), self.bias), self.activation)

    def extra_repr(self):
        return f'{super().extra_repr()}, activation={self.activation!r}'


class Conv2D(nn.Conv2d):
    """
    A 2D convolution of a channels-last image [B, H, W, C] to
    [B, H', W', filters], with TensorFlow's padding: 'same' keeps
    ceil(H / strides) rows, padding the odd row at the bottom (and the odd
    column at the right); 'valid' keeps only whole windows.
    """

    def __init__(self, in_channels, filters, kernel_size, strides=1, padding='same', activation='linear', use_bias=True):
        super().__init__(in_channels, filters, kernel_size, stride=strides, bias=use_bias)
        self.same = padding == 'same'
        self.activation = activation

    def forward(self, x):
        h = nchw(x)
        if self.same:
            k, s = self.kernel_size[0], self.stride[0]
            top, bottom = same_pads(h.shape[2], k, s)
            left, right = same_pads(h.shape[3], k, s)
            h = F.pad(h, (left, right, top, bottom))
        return activation(nhwc(F.conv2d(h, self.weight, self.bias, self.stride)), self.activation)

    def extra_repr(self):
        return f"{super().extra_repr()}, padding={'same' if self.same else 'valid'!r}, activation={self.activation!r}"


class Conv2DTranspose(nn.ConvTranspose2d):
    """
    TensorFlow's transposed convolution of a channels-last image: the
    gradient of the Conv2D that maps the output back to x, so 'same' gives
    H · strides rows and 'valid' (H − 1) · strides + kernel_size. The full
    transposed convolution is cropped by the padding that Conv2D would
    have had (zero-extended where it never reaches), then the bias added.
    The weight is [in_channels, filters, k, k], as nn.ConvTranspose2d's.
    """

    def __init__(self, in_channels, filters, kernel_size, strides=2, padding='same', activation='linear', use_bias=True):
        super().__init__(in_channels, filters, kernel_size, stride=strides, bias=use_bias)
        self.same = padding == 'same'
        self.activation = activation

    def forward(self, x):
        k, s = self.kernel_size[0], self.stride[0]
        h = nchw(x)
        full = F.conv_transpose2d(h, self.weight, stride=s)
        crops = []
        for n in h.shape[2:]:
            out = n * s if self.same else (n - 1) * s + k
            before, after = same_pads(out, k, s) if self.same else (0, 0)
            crops.append((before, out, before + out + after))
        (top, oh, ph), (left, ow, pw) = crops
        full = F.pad(full, (0, max(pw - full.shape[3], 0), 0, max(ph - full.shape[2], 0)))
        y = full[:, :, top:top + oh, left:left + ow]
        if self.bias is not None:
            y = y + self.bias.reshape(1, -1, 1, 1)
        return activation(nhwc(y), self.activation)

    def extra_repr(self):
        return f"{super().extra_repr()}, padding={'same' if self.same else 'valid'!r}, activation={self.activation!r}"


def pixel_mask(kernel_size, mask):
    """PixelCNN's k × k mask: the rows above the centre, and in the centre row the pixels left of it (mask 'B': and the centre)."""
    m = torch.zeros(kernel_size, kernel_size)
    centre = kernel_size // 2
    m[:centre] = 1
    m[centre, :centre + (1 if mask == 'B' else 0)] = 1
    return m


class MaskedConv2D(nn.Conv2d):
    """
    PixelCNN's masked convolution of a channels-last image (stride 1,
    'same' padding, odd kernel): the weight is multiplied by a spatial mask,
    so the output at a pixel reads only the pixels before it in raster order
    (mask 'A') or those and itself (mask 'B'); the same mask for every
    channel pair. The mask is a buffer, not part of the state_dict.
    """

    def __init__(self, in_channels, filters, kernel_size, mask='B', activation='linear', use_bias=True):
        super().__init__(in_channels, filters, kernel_size, padding=kernel_size // 2, bias=use_bias)
        self.activation = activation
        self.register_buffer('mask', pixel_mask(kernel_size, mask), persistent=False)

    def forward(self, x):
        y = F.conv2d(nchw(x), self.weight * self.mask, self.bias, padding=self.padding)
        return activation(nhwc(y), self.activation)


def _pool_pads(x, size, stride, same):
    """(left, right, top, bottom) of TensorFlow's padding for a window over an NCHW image."""
    if not same:
        return (0, 0, 0, 0)
    top, bottom = same_pads(x.shape[2], size, stride)
    left, right = same_pads(x.shape[3], size, stride)
    return (left, right, top, bottom)


class _Pool2D(nn.Module):
    """A pooling window over a channels-last image: its size, its stride (the size by default), and whether 'same' padding applies."""

    def __init__(self, pool_size=2, strides=None, padding='valid'):
        super().__init__()
        self.pool_size = pool_size
        self.strides = strides or pool_size
        self.same = padding == 'same'


class MaxPool2D(_Pool2D):
    """The largest value in each window of a channels-last image, per channel; 'same' windows see only the image, never the padding."""

    def forward(self, x):
        h = nchw(x)
        h = F.pad(h, _pool_pads(h, self.pool_size, self.strides, self.same), value=-math.inf)
        return nhwc(F.max_pool2d(h, self.pool_size, self.strides))


class AvgPool2D(_Pool2D):
    """The mean of each window of a channels-last image, per channel; at the borders of 'same' padding, of the pixels inside the image only."""

    def forward(self, x):
        h = nchw(x)
        pads = _pool_pads(h, self.pool_size, self.strides, self.same)
        if not any(pads):
            return nhwc(F.avg_pool2d(h, self.pool_size, self.strides))
        sums = F.avg_pool2d(F.pad(h, pads), self.pool_size, self.strides, divisor_override=1)
        inside = F.avg_pool2d(F.pad(torch.ones_like(h[:1, :1]), pads), self.pool_size, self.strides, divisor_override=1)
        return nhwc(sums / inside)


class BatchNorm(nn.Module):
    """
    Batch normalisation over the last axis (an image's channels, a vector's
    features) with a learned scale (weight) and shift (bias). Like
    GenComposer it always normalises with the statistics of the batch at
    hand (mean and biased variance over every axis but the last), in
    training and sampling alike: there are no running averages, so sample
    several examples at once.
    """

    def __init__(self, channels, epsilon=1e-3):
        super().__init__()
        self.epsilon = epsilon
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        axes = tuple(range(x.dim() - 1))
        if global_batch_synced():
            mean, variance = synced_moments(x, axes)
        else:
            mean = x.mean(dim=axes, keepdim=True)
            variance = x.var(dim=axes, unbiased=False, keepdim=True)
        return (x - mean) * torch.rsqrt(variance + self.epsilon) * self.weight + self.bias


def synced_moments(x, axes):
    """
    The mean and biased variance of x over `axes` and over every rank's
    part of the batch (train.py's parts are equal), through a differentiable
    all_reduce: under DDP a BatchNorm then sees the global batch, as one
    process would (torch.nn.SyncBatchNorm's idea).
    """
    from torch.distributed.nn.functional import all_reduce
    local = torch.cat([x.sum(dim=axes).reshape(-1), x.square().sum(dim=axes).reshape(-1)])
    count = x.numel() // x.shape[-1] * torch.distributed.get_world_size()
    total = all_reduce(local) / count
    channels = x.shape[-1]
    mean = total[:channels]
    variance = total[channels:] - mean.square()
    shape = (1,) * (x.dim() - 1) + (channels,)
    return mean.reshape(shape), variance.clamp_min(0).reshape(shape)


class GroupNorm(nn.Module):
    """
    Group normalisation (Wu & He 2018) on channels last ([B, D], [B, T, D],
    [B, H, W, C]): the channels cut into `groups`, each group of each
    example normalised over its channels and all positions, then a learned
    scale (weight) and shift (bias) per channel; torch.nn.GroupNorm's
    computation with the channels moved to dim 1 and back.
    """

    def __init__(self, channels, groups=8, epsilon=1e-5):
        super().__init__()
        self.groups = groups
        self.epsilon = epsilon
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return F.group_norm(x.movedim(-1, 1), self.groups, self.weight, self.bias, self.epsilon).movedim(1, -1)


class LayerNorm(nn.LayerNorm):
    """Normalises the last axis of each position to zero mean and unit (biased) variance, then a learned scale (weight) and shift (bias)."""

    def __init__(self, features, epsilon=1e-5):
        super().__init__(features, eps=epsilon)

    def forward(self, x):
        return super().forward(x)


class Dropout(nn.Module):
    """
    Inverted dropout, as GenComposer draws it: in training, one uniform u per
    value from ctx.random, keep where u >= rate and scale the kept values by
    1 / (1 − rate); the identity when sampling (module.eval()).
    """

    def __init__(self, rate=0.3):
        super().__init__()
        self.rate = rate

    def forward(self, x, ctx):
        if not self.training or self.rate == 0:
            return x
        u = ctx.random.uniform(x.shape, dtype=x.dtype)
        return x * (u >= self.rate).to(x.dtype) / (1 - self.rate)


class ConditionDropout(nn.Module):
    """
    Classifier-free guidance's training half (Ho & Salimans 2022): in
    training, each example's label [B] becomes null_label where its uniform
    draw is below rate; labels pass unchanged when sampling.
    """

    def __init__(self, rate=0.1, null_label=10):
        super().__init__()
        self.rate = rate
        self.null_label = null_label

    def forward(self, labels, ctx):
        if not self.training or self.rate == 0:
            return labels
        u = ctx.random.uniform(labels.shape)
        return torch.where(u < self.rate, torch.full_like(labels, self.null_label), labels)


class Interpolate(nn.Module):
    """Random points between two batches, ε·a + (1 − ε)·b, one ε uniform in [0, 1) per example (WGAN-GP's interpolates)."""

    def forward(self, a, b, ctx):
        eps = ctx.random.uniform((a.shape[0],) + (1,) * (a.dim() - 1), dtype=a.dtype)
        return eps * a + (1 - eps) * b


class Noise(nn.Module):
    """Fresh random numbers [ctx.batch, *shape] every call: standard normal, or uniform on [-1, 1)."""

    def __init__(self, shape=(64,), distribution='normal'):
        super().__init__()
        self.shape = tuple(shape)
        self.distribution = distribution

    def forward(self, ctx):
        shape = (ctx.batch,) + self.shape
        if self.distribution == 'normal':
            return ctx.random.normal(shape)
        return ctx.random.uniform(shape) * 2 - 1

    def extra_repr(self):
        return f'shape={self.shape}, distribution={self.distribution!r}'


class Constant(nn.Module):
    """
    The same values every call: `fill` zeros, ones, `value`, or the list
    `values` for each example; shaped [ctx.batch, *shape], or like `like`
    (its shape, batch included). tokens=True gives ids (torch.long).
    """

    def __init__(self, fill='zeros', value=0.0, values=(), shape=(1,), tokens=False):
        super().__init__()
        dtype = torch.long if tokens else torch.float32
        if fill == 'values':
            example = torch.tensor(list(values), dtype=dtype)
        else:
            example = torch.tensor({'zeros': 0, 'ones': 1, 'value': value}[fill], dtype=dtype)
        # A buffer so that it follows the model's device and dtype; not saved.
        self.register_buffer('example', example, persistent=False)
        self.shape = tuple(shape)

    def forward(self, like=None, ctx=None):
        shape = tuple(like.shape) if like is not None else (ctx.batch,) + self.shape
        if self.example.dim() == 0:
            return self.example.expand(shape)
        return self.example.reshape(shape[1:]).expand(shape)


def timestep_frequencies(dim, max_period=10000.0):
    """DDPM's frequencies f_i = exp(−ln(max_period) · i / (dim/2 − 1)), i < dim/2 (one frequency, 1, for dim 2)."""
    half = dim // 2
    return torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64) / max(half - 1, 1))


def timestep_embedding(t, freqs):
    """DDPM's timestep embedding of ids t [B] at frequencies freqs [dim/2]: [sin(t·f), cos(t·f)], sines first."""
    args = t.to(freqs.dtype).reshape(-1, 1) * freqs.reshape(1, -1)
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class SinusoidalEmbedding(nn.Module):
    """Integer timesteps [B] to vectors [B, dim] of sines then cosines at geometrically spaced frequencies (DDPM's timestep embedding)."""

    def __init__(self, dim=64, max_period=10000.0):
        super().__init__()
        # A buffer so that it follows the model's device and dtype; not saved.
        self.register_buffer('freqs', timestep_frequencies(dim, max_period).float(), persistent=False)

    def forward(self, t):
        return timestep_embedding(t, self.freqs)


class Embedding(_Tied, nn.Embedding):
    """
    A learned vector per token id: tokens (torch.long) [B], [B, T] or a map
    of codes [B, H, W] to [..., dim], the rows of weight [vocab_size, dim];
    normalize=True scales each looked-up vector to unit length (to read a
    normalising quantizer's codebook).

    Weight tying (the node's `tiedTo`): model.py builds the layer, then
    calls `layer.tie(lender_parameter, transposed)`. Another Embedding's
    table or a quantizer's codebook is this table as it is; a Dense's
    weight [its units, its inputs] is used transposed (transposed=True).
    """

    def __init__(self, vocab_size, dim, normalize=False):
        super().__init__(vocab_size, dim)
        self.normalize = normalize
        self.transposed = False

    def forward(self, tokens):
        y = F.embedding(tokens, self.matrix())
        if self.normalize:
            y = y / torch.sqrt((y * y).sum(dim=-1, keepdim=True) + 1e-12)
        return y


def sinusoid_table(length, dim, dtype=torch.float32):
    """Vaswani et al.'s positions [length, dim]: even features sin(pos / 10000^(2i/dim)), odd ones the matching cos."""
    pos = torch.arange(length, dtype=torch.float64).unsqueeze(1)
    j = torch.arange(dim)
    angles = pos / torch.pow(torch.tensor(10000.0, dtype=torch.float64), (2 * torch.div(j, 2, rounding_mode='floor')).to(torch.float64) / dim)
    return torch.where(j % 2 == 0, torch.sin(angles), torch.cos(angles)).to(dtype)


class PositionalEncoding(nn.Module):
    """
    Adds a vector per position to a sequence [B, T, features] (T at most
    max_length): learned rows of `positions` [max_length, features], or
    fixed sinusoids (mode='sinusoidal').
    """

    def __init__(self, features, max_length=256, mode='learned'):
        super().__init__()
        self.mode = mode
        if mode == 'learned':
            self.positions = nn.Parameter(torch.empty(max_length, features).normal_(0.0, 0.02))
        else:
            self.register_buffer('table', sinusoid_table(max_length, features), persistent=False)

    def forward(self, x):
        t = x.shape[1]
        return x + (self.positions[:t] if self.mode == 'learned' else self.table[:t])


def causal_mask(scores):
    """The mask added to attention scores [..., T, T]: 0 where key j <= query i, MASKED_SCORE (-1e9) where j > i."""
    t, s = scores.shape[-2], scores.shape[-1]
    return torch.full((t, s), MASKED_SCORE, dtype=scores.dtype, device=scores.device).triu(1)
