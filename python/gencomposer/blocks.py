"""
GenComposer's blocks, flows, diffusion pieces, recurrent layers and vector
quantizer as PyTorch modules. Blocks are built from the layers of
gencomposer.layers, so their parameters are named as a practitioner would
name them (`body.0.weight`, `attn.q_proj.weight`). Tensors are channels
last ([B, H, W, C]); random draws go through ctx.random in the order
GenComposer draws them.
"""
import functools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import BatchNorm, Conv2D, Conv2DTranspose, Dense, Dropout, GroupNorm, LayerNorm, SinusoidalEmbedding, causal_mask
from .runtime import activation, per_example_sum

__all__ = [
    'Reparameterize',
    'Encoder',
    'Decoder',
    'Generator',
    'Discriminator',
    'TimeEmbedding',
    'UNetBlock',
    'AttentionBlock',
    'TransformerBlock',
    'CouplingLayer',
    'LSTM',
    'GRU',
    'VectorQuantizer',
    'AffineCoupling',
    'Permute',
    'ActNorm',
    'InvertibleConv1x1',
    'Dequantize',
    'Logit',
    'NoiseSchedule',
    'Diffuse',
]


def _chain_logdet(logdet, own, batch, like):
    """A flow's running log|det J|: the incoming one (zeros at the start of a chain) plus this step's."""
    if logdet is None:
        logdet = like.new_zeros(batch)
    return logdet if own is None else logdet + own


def _log_scale(s_raw, clamp):
    """The log-scale a coupling uses: s_raw, or clamp · tanh(s_raw / clamp), a soft bound that keeps exp(s) finite."""
    return clamp * torch.tanh(s_raw / clamp) if clamp > 0 else s_raw


# ---------------------------------------------------------------- VAE and GAN blocks


class Reparameterize(nn.Module):
    """The VAE's reparameterization trick: z = mu + exp(logvar / 2) · eps with eps ~ N(0, I), so gradients reach the encoder."""

    def forward(self, mu, logvar, ctx):
        eps = ctx.random.normal(mu.shape).to(mu)
        return mu + torch.exp(0.5 * logvar) * eps


def _feature_body(in_shape, architecture, hidden, activation):
    """
    The body of an Encoder or Discriminator and the width of its flattened
    output: Dense layers of widths `hidden` ('mlp', on the flattened input),
    or stride-2 4×4 'same' convolutions of `hidden` channels ('conv').
    """
    layers = []
    if architecture == 'conv':
        height, width, channels = in_shape
        for filters in hidden:
            layers.append(Conv2D(in_channels=channels, filters=filters, kernel_size=4, strides=2, padding='same', activation=activation))
            channels = filters
            height, width = -(-height // 2), -(-width // 2)  # 'same' rounds up
        return nn.ModuleList(layers), height * width * channels
    features = math.prod(in_shape)
    for units in hidden:
        layers.append(Dense(in_features=features, units=units, activation=activation))
        features = units
    return nn.ModuleList(layers), features


class Encoder(nn.Module):
    """
    The VAE encoder q(z | x): a body of Dense layers ('mlp', on the flattened
    input) or stride-2 4×4 convolutions ('conv'), then linear heads for the
    mean and the log-variance of the latent Gaussian. in_shape is one
    example's shape, [D] or [H, W, C].
    """

    def __init__(self, in_shape, architecture='mlp', hidden=(256,), latent=16, activation='relu'):
        super().__init__()
        self.architecture = architecture
        self.body, features = _feature_body(in_shape, architecture, hidden, activation)
        self.mu = Dense(in_features=features, units=latent)
        self.logvar = Dense(in_features=features, units=latent)

    def forward(self, x):
        h = x if self.architecture == 'conv' else x.flatten(1)
        for layer in self.body:
            h = layer(h)
        h = h.flatten(1)  # a conv body's image in channels-last order, as the heads expect
        return {'mu': self.mu(h), 'logvar': self.logvar(h)}


class _LatentToSample(nn.Module):
    """
    A latent code [B, latent] to a sample. 'mlp': Dense layers, then a Dense
    to the sample's size, reshaped to output_shape. 'conv' (DCGAN): a Dense
    to a small image (output size / 2^len(hidden), hidden[0] channels), then
    stride-2 4×4 transposed convolutions doubling it (hidden[1:] channels,
    then the output's); with batch_norm, BatchNorm before each hidden
    activation, and no bias before it.
    """

    def __init__(self, latent, architecture, hidden, activation, output_activation, output_shape, batch_norm):
        super().__init__()
        self.architecture = architecture
        self.activation = activation
        self.output_shape = tuple(output_shape)
        self.batch_norm = batch_norm
        if architecture == 'mlp':
            features = latent
            layers = []
            for units in hidden:
                layers.append(Dense(in_features=features, units=units, activation=activation))
                features = units
            self.body = nn.ModuleList(layers)
            self.out = Dense(in_features=features, units=math.prod(output_shape), activation=output_activation)
            return
        out_h, out_w, out_c = output_shape
        scale = 2 ** len(hidden)
        self.start = (out_h // scale, out_w // scale, hidden[0])
        # Without batch norm the activation is the layers' own; a bias before batch norm is redundant with its beta.
        inner = {'activation': 'linear', 'use_bias': False} if batch_norm else {'activation': activation}
        self.fc = Dense(in_features=latent, units=math.prod(self.start), **inner)
        if batch_norm:
            self.bn = nn.ModuleList([BatchNorm(channels=c) for c in hidden])
        self.up = nn.ModuleDict({
            str(i): Conv2DTranspose(in_channels=hidden[i - 1], filters=hidden[i], kernel_size=4, strides=2, padding='same', **inner)
            for i in range(1, len(hidden))
        })
        self.out = Conv2DTranspose(in_channels=hidden[-1], filters=out_c, kernel_size=4, strides=2, padding='same', activation=output_activation)

    def norm_act(self, h, i):
        return activation(self.bn[i](h), self.activation) if self.batch_norm else h

    def forward(self, z):
        if self.architecture == 'mlp':
            h = z
            for layer in self.body:
                h = layer(h)
            return self.out(h).reshape(z.shape[0], *self.output_shape)
        h = self.norm_act(self.fc(z).reshape(z.shape[0], *self.start), 0)
        for i, up in self.up.items():
            h = self.norm_act(up(h), int(i))
        return self.out(h)


class Decoder(_LatentToSample):
    """The VAE decoder p(x | z), emitting logits by default ('linear' output) for a BCE-from-logits reconstruction loss."""

    def __init__(self, latent, architecture='mlp', hidden=(256,), activation='relu', output_activation='linear', output_shape=(784,), batch_norm=False):
        super().__init__(latent, architecture, hidden, activation, output_activation, output_shape, batch_norm)


class Generator(_LatentToSample):
    """The GAN generator, by default DCGAN's: ReLU and batch norm inside, tanh at the output (data in [-1, 1])."""

    def __init__(self, latent, architecture='conv', hidden=(128, 64), activation='relu', output_activation='tanh', output_shape=(28, 28, 1), batch_norm=True):
        super().__init__(latent, architecture, hidden, activation, output_activation, output_shape, batch_norm)


class Discriminator(nn.Module):
    """
    The GAN critic: one logit per example (high for real). A body of Dense
    layers ('mlp', on the flattened input) or stride-2 4×4 convolutions
    ('conv'), each followed by dropout while training when dropout > 0,
    then a Dense to one logit. in_shape is one example's shape.
    """

    def __init__(self, in_shape, architecture='conv', hidden=(64, 128), activation='leakyRelu', dropout=0.0):
        super().__init__()
        self.architecture = architecture
        self.body, features = _feature_body(in_shape, architecture, hidden, activation)
        self.drop = Dropout(rate=dropout) if dropout > 0 else None
        self.logit = Dense(in_features=features, units=1)

    def forward(self, x, ctx=None):
        h = x if self.architecture == 'conv' else x.flatten(1)
        for layer in self.body:
            h = layer(h)
            if self.drop is not None:
                h = self.drop(x=h, ctx=ctx)
        return self.logit(h.flatten(1))


# ---------------------------------------------------------------- attention


class AttentionBlock(nn.Module):
    """
    Multi-head scaled dot-product attention, softmax(q·kᵀ / √d_head)·v:
    queries from x [B, T, D], keys and values from the context [B, S, D2]
    when one is given (context_features = D2), else from x. causal hides
    key j > query i (adds -1e9 to those scores).
    """

    def __init__(self, features, heads=4, causal=False, context_features=None):
        super().__init__()
        self.heads = heads
        self.causal = causal
        source = context_features if context_features is not None else features
        self.q_proj = Dense(in_features=features, units=features)
        self.k_proj = Dense(in_features=source, units=features)
        self.v_proj = Dense(in_features=source, units=features)
        self.out_proj = Dense(in_features=features, units=features)

    def forward(self, x, context=None):
        source = x if context is None else context
        q, k, v = self.q_proj(x), self.k_proj(source), self.v_proj(source)
        b, t, d = q.shape
        head = d // self.heads

        def split(u):  # [B, T, D] -> [B, heads, T, D / heads]
            return u.reshape(b, -1, self.heads, head).transpose(1, 2)

        scores = split(q) @ split(k).transpose(-2, -1) * (1 / math.sqrt(head))
        if self.causal:
            scores = scores + causal_mask(scores)
        mixed = torch.softmax(scores, dim=-1) @ split(v)
        return self.out_proj(mixed.transpose(1, 2).reshape(b, t, d))


class MLP(nn.Module):
    """A Transformer's position-wise MLP: Dense to `hidden` with GELU (tanh approximation), Dense back."""

    def __init__(self, features, hidden):
        super().__init__()
        self.fc = Dense(in_features=features, units=hidden, activation='gelu')
        self.proj = Dense(in_features=hidden, units=features)

    def forward(self, x):
        return self.proj(self.fc(x))


class TransformerBlock(nn.Module):
    """
    A pre-LayerNorm (GPT-2) Transformer layer:
      h = x + Attn(LN(x)); [h = h + CrossAttn(LN(h), context)]; y = h + MLP(LN(h))
    The MLP is round(mlp_ratio · features) wide; cross-attention (when
    context_features is given) sees the whole context.
    """

    def __init__(self, features, heads=4, causal=True, mlp_ratio=4.0, context_features=None):
        super().__init__()
        self.ln1 = LayerNorm(features=features)
        self.attn = AttentionBlock(features, heads, causal)
        if context_features is not None:
            self.ln_cross = LayerNorm(features=features)
            self.cross = AttentionBlock(features, heads, False, context_features)
        self.ln2 = LayerNorm(features=features)
        # Half rounds up, as GenComposer rounds.
        self.mlp = MLP(features, max(1, math.floor(mlp_ratio * features + 0.5)))

    def forward(self, x, context=None):
        h = x + self.attn(self.ln1(x))
        if context is not None:
            h = h + self.cross(self.ln_cross(h), context=context)
        return h + self.mlp(self.ln2(h))


# ---------------------------------------------------------------- diffusion


class TimeEmbedding(nn.Module):
    """DDPM's timestep embedding: integer steps [B] to sinusoids of width dim, then Dense(hidden, SiLU) and Dense(dim)."""

    def __init__(self, dim=64, hidden=256):
        super().__init__()
        self.sinusoid = SinusoidalEmbedding(dim=dim)
        self.fc1 = Dense(in_features=dim, units=hidden, activation='silu')
        self.fc2 = Dense(in_features=hidden, units=dim)

    def forward(self, t):
        return self.fc2(self.fc1(self.sinusoid(t)))


class UNetBlock(nn.Module):
    """
    DDPM's residual block of two 3×3 convolutions, conditioned on a time
    embedding added to every pixel. norm 'none': each convolution followed
    by the activation,
      h = act(conv1(x)) + temb_proj(act(temb));  y = act(conv2(h)) + skip(x)
    norm 'group' (Ho et al.): GroupNorm and the activation before each one,
      h = conv1(act(norm1(x))) + temb_proj(act(temb));  y = conv2(act(norm2(h))) + skip(x)
    skip is x itself when it has `filters` channels, else a 1×1 convolution.
    temb_features is the embedding's width, or None without one.
    """

    def __init__(self, in_channels, filters=64, activation='silu', norm='none', groups=32, temb_features=None):
        super().__init__()
        self.activation = activation
        grouped = norm == 'group'
        conv_act = 'linear' if grouped else activation
        self.norm1 = GroupNorm(channels=in_channels, groups=groups) if grouped else None
        self.conv1 = Conv2D(in_channels=in_channels, filters=filters, kernel_size=3, strides=1, padding='same', activation=conv_act)
        self.temb_proj = Dense(in_features=temb_features, units=filters) if temb_features is not None else None
        self.norm2 = GroupNorm(channels=filters, groups=groups) if grouped else None
        self.conv2 = Conv2D(in_channels=filters, filters=filters, kernel_size=3, strides=1, padding='same', activation=conv_act)
        self.skip = Conv2D(in_channels=in_channels, filters=filters, kernel_size=1, strides=1, padding='same') if in_channels != filters else None

    def before_conv(self, h, norm):
        """With GroupNorm, the norm and then the activation come before the convolution (DDPM's order)."""
        return h if norm is None else activation(norm(h), self.activation)

    def forward(self, x, temb=None):
        h = self.conv1(self.before_conv(x, self.norm1))
        if temb is not None:
            h = h + self.temb_proj(activation(temb, self.activation)).reshape(temb.shape[0], 1, 1, -1)
        h = self.conv2(self.before_conv(h, self.norm2))
        return h + (x if self.skip is None else self.skip(x))


class NoiseSchedule(nn.Module):
    """
    The DDPM noise schedule as a [steps, 3] table of beta_t, alpha_t = 1 - beta_t
    and alphaBar_t = ∏ alpha (computed in double precision, held as a
    buffer that is not saved): betas linear from beta_start to beta_end (Ho
    et al.), or Nichol & Dhariwal's cosine ones, clipped at 0.999.
    """

    def __init__(self, steps=1000, kind='linear', beta_start=1e-4, beta_end=0.02, cosine_offset=0.008):
        super().__init__()
        if kind == 'linear':
            betas = [beta_start + (beta_end - beta_start) * i / (steps - 1) for i in range(steps)]
        else:
            s = cosine_offset

            def f(u):
                return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2

            betas = [min(1 - f((i + 1) / steps) / f(i / steps), 0.999) for i in range(steps)]
        rows = []
        alpha_bar = 1.0
        for beta in betas:
            alpha_bar *= 1 - beta
            rows.append([beta, 1 - beta, alpha_bar])
        self.register_buffer('table', torch.tensor(rows, dtype=torch.float64).float(), persistent=False)

    def forward(self):
        return self.table


class Diffuse(nn.Module):
    """
    DDPM's forward process q(x_t | x_0) in closed form: each example gets a
    step t uniform in [0, steps) and noise eps ~ N(0, I), and
    x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) eps.
    """

    def forward(self, x0, schedule, ctx):
        batch = x0.shape[0]
        t = ctx.random.integers([batch], schedule.shape[0]).to(x0.device)
        noise = ctx.random.normal(x0.shape).to(x0)
        alpha_bar = schedule[:, 2].to(x0)[t].reshape(batch, *([1] * (x0.dim() - 1)))
        xt = torch.sqrt(alpha_bar) * x0 + torch.sqrt(1 - alpha_bar) * noise
        return {'xt': xt, 't': t, 'noise': noise}


# ---------------------------------------------------------------- normalizing flows


class AffineCoupling(nn.Module):
    """
    RealNVP's affine coupling y = x · exp(s) + t, with s and t computed from
    the other half elsewhere: log|det J| = Σ s. clamp > 0 bounds the
    log-scale softly, s = clamp · tanh(s_raw / clamp).
    """

    def __init__(self, clamp=0.0):
        super().__init__()
        self.clamp = clamp

    def forward(self, x, s, t, logdet=None):
        s = _log_scale(s, self.clamp)
        return {'y': x * torch.exp(s) + t, 'logdet': _chain_logdet(logdet, per_example_sum(s), x.shape[0], x)}

    def inverse(self, y, s, t):
        return (y - t) * torch.exp(-_log_scale(s, self.clamp))


class Permute(nn.Module):
    """Reorders the last axis by a fixed order (reversed, or a seeded shuffle chosen by GenComposer): y[..., i] = x[..., order[i]], |det| = 1."""

    def __init__(self, order):
        super().__init__()
        self.order = list(order)
        self.inverse_order = [0] * len(self.order)
        for to, source in enumerate(self.order):
            self.inverse_order[source] = to

    def forward(self, x, logdet=None):
        return {'y': x[..., self.order], 'logdet': _chain_logdet(logdet, None, x.shape[0], x)}

    def inverse(self, y):
        return y[..., self.inverse_order]


class ActNorm(nn.Module):
    """
    Glow's activation normalization: y = (x + bias) · exp(log_scale) per
    channel (the last axis), adding positions · Σ log_scale to log|det J|.
    """

    def __init__(self, channels):
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x, logdet=None):
        positions = x[0].numel() // x.shape[-1]
        own = self.log_scale.sum() * positions
        return {'y': (x + self.bias) * torch.exp(self.log_scale), 'logdet': _chain_logdet(logdet, own, x.shape[0], x)}

    def inverse(self, y):
        return y * torch.exp(-self.log_scale) - self.bias


class InvertibleConv1x1(nn.Module):
    """
    Glow's invertible 1×1 convolution: a C × C matrix
    W = P · L · (U + diag(exp(log_scale))) mixes the channels (the last
    axis) at every position, y = x Wᵀ. P is a fixed permutation (P[i, order[i]] = 1),
    L unit lower triangular (the strict lower triangle of `lower`), U strictly
    upper triangular (of `upper`), so log|det W| = Σ log_scale.
    """

    def __init__(self, channels, order):
        super().__init__()
        self.lower = nn.Parameter(torch.zeros(channels, channels))
        self.upper = nn.Parameter(torch.zeros(channels, channels))
        self.log_scale = nn.Parameter(torch.zeros(channels))
        self.register_buffer('permutation', torch.eye(channels)[list(order)], persistent=False)

    def weight(self):
        eye = torch.eye(self.log_scale.shape[0], dtype=self.lower.dtype, device=self.lower.device)
        lower = eye + torch.tril(self.lower, diagonal=-1)
        upper = torch.triu(self.upper, diagonal=1) + torch.diag(torch.exp(self.log_scale))
        return self.permutation.to(lower) @ (lower @ upper)

    def forward(self, x, logdet=None):
        positions = x[0].numel() // x.shape[-1]
        own = self.log_scale.sum() * positions
        return {'y': x @ self.weight().t(), 'logdet': _chain_logdet(logdet, own, x.shape[0], x)}

    def inverse(self, y):
        return y @ torch.linalg.inv(self.weight()).t()


class _SeededUniform:
    """GenComposer's seeded generator (xoshiro128**, seeded by splitmix32): the same uniform numbers as the app draws from a seed."""

    MASK = 0xFFFFFFFF

    def __init__(self, seed):
        s = seed & self.MASK
        state = []
        for _ in range(4):
            s = (s + 0x9E3779B9) & self.MASK
            z = s
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & self.MASK
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & self.MASK
            state.append((z ^ (z >> 16)) & self.MASK)
        self.a, self.b, self.c, self.d = state

    @classmethod
    def _rotl(cls, x, k):
        return ((x << k) | (x >> (32 - k))) & cls.MASK

    def uniform(self):
        result = (self._rotl((self.b * 5) & self.MASK, 7) * 9) & self.MASK
        t = (self.b << 9) & self.MASK
        self.c ^= self.a
        self.d ^= self.b
        self.b ^= self.c
        self.a ^= self.d
        self.c ^= t
        self.d = self._rotl(self.d, 11)
        return result / 4294967296


@functools.lru_cache(maxsize=8)
def _evaluation_offsets(shape):
    rng = _SeededUniform(0x2F6B1D)
    return torch.tensor([rng.uniform() for _ in range(math.prod(shape))], dtype=torch.float32).reshape(shape)


class Dequantize(nn.Module):
    """
    Uniform dequantisation (Theis et al. 2016): data of `bins` levels k spread
    evenly over the range ('unit' [0, 1] or 'signed' [-1, 1]) becomes
    y = low + (k + u) · width / bins, u ~ U[0, 1), adding D · log(width / bins)
    to log|det J| so that Flow NLL bounds the discrete data's likelihood.
    Training draws u afresh; otherwise u is one fixed draw per element
    (GenComposer's evaluation offsets), so the inverse gives the data back.
    """

    RANGES = {'unit': (0.0, 1.0), 'signed': (-1.0, 1.0)}

    def __init__(self, bins=256, range='unit'):
        super().__init__()
        self.bins = bins
        self.low, self.high = self.RANGES[range]
        self.width = (self.high - self.low) / bins

    def offsets(self, like):
        return _evaluation_offsets(tuple(like.shape)).to(like)

    def forward(self, x, logdet=None, ctx=None):
        level = torch.round((x - self.low) * ((self.bins - 1) / (self.high - self.low))).clamp(0, self.bins - 1)
        u = ctx.random.uniform(x.shape).to(x) if self.training else self.offsets(x)
        y = (level + u) * self.width + self.low
        own = x[0].numel() * math.log(self.width)
        if logdet is None:
            logdet = x.new_full((x.shape[0],), own)
        else:
            logdet = logdet + own
        return {'y': y, 'logdet': logdet}

    def inverse(self, y):
        level = (y - self.low) / self.width - self.offsets(y)
        return level * ((self.high - self.low) / (self.bins - 1)) + self.low


class Logit(nn.Module):
    """
    RealNVP's logit transform of data in [0, 1]: s = alpha + (1 - 2 alpha) x,
    y = log s - log(1 - s), adding Σ [log(1 - 2 alpha) - log s - log(1 - s)] to log|det J|.
    """

    def __init__(self, alpha=0.05):
        super().__init__()
        self.alpha = alpha

    def forward(self, x, logdet=None):
        s = x * (1 - 2 * self.alpha) + self.alpha
        log_s, log_1m_s = torch.log(s), torch.log1p(-s)
        own = per_example_sum(math.log(1 - 2 * self.alpha) - (log_s + log_1m_s))
        return {'y': log_s - log_1m_s, 'logdet': _chain_logdet(logdet, own, x.shape[0], x)}

    def inverse(self, y):
        return (torch.sigmoid(y) - self.alpha) / (1 - 2 * self.alpha)


class CouplingLayer(nn.Module):
    """
    One RealNVP affine coupling over [B, D]: the first D // 2 features (the
    second half with flip) pass unchanged and drive an MLP (`layers` Dense
    layers of `hidden`) whose heads s and t scale and shift the other half,
    y = x · exp(s) + t with s bounded by clamp (see AffineCoupling);
    log|det J| = Σ s. permute 'reverse' reverses the features afterwards.
    """

    def __init__(self, features, hidden=64, layers=2, activation='relu', flip=False, permute='none', clamp=2.0):
        super().__init__()
        self.first = features // 2
        self.flip = flip
        self.reverse = permute == 'reverse'
        self.clamp = clamp
        width = features - self.first if flip else self.first
        moved = self.first if flip else features - self.first
        net = []
        for _ in range(layers):
            net.append(Dense(in_features=width, units=hidden, activation=activation))
            width = hidden
        self.net = nn.ModuleList(net)
        self.s = Dense(in_features=width, units=moved)
        self.t = Dense(in_features=width, units=moved)

    def scale_shift(self, condition):
        h = condition
        for layer in self.net:
            h = layer(h)
        return _log_scale(self.s(h), self.clamp), self.t(h)

    def forward(self, x, logdet=None):
        a, b = x[:, :self.first], x[:, self.first:]
        condition, moving = (b, a) if self.flip else (a, b)
        s, t = self.scale_shift(condition)
        moved = moving * torch.exp(s) + t
        y = torch.cat([moved, b] if self.flip else [a, moved], dim=-1)
        if self.reverse:
            y = torch.flip(y, dims=[-1])
        return {'y': y, 'logdet': _chain_logdet(logdet, s.sum(dim=-1), x.shape[0], x)}

    def inverse(self, y):
        if self.reverse:
            y = torch.flip(y, dims=[-1])
        a, b = y[:, :self.first], y[:, self.first:]
        condition, moved = (b, a) if self.flip else (a, b)
        s, t = self.scale_shift(condition)
        moving = (moved - t) * torch.exp(-s)
        return torch.cat([moving, b] if self.flip else [a, moving], dim=-1)


# ---------------------------------------------------------------- recurrent layers


class LSTM(nn.LSTM):
    """
    torch.nn.LSTM of one layer over a sequence [B, T, in_features] (batch
    first): every hidden state [B, T, units] (return_sequences) or the last
    [B, units] as y, and the final h and c; h0 and c0 [B, units] start it
    (zeros when not given).
    """

    def __init__(self, in_features, units=128, return_sequences=True):
        super().__init__(input_size=in_features, hidden_size=units, batch_first=True)
        self.return_sequences = return_sequences

    def forward(self, x, h0=None, c0=None):
        zeros = x.new_zeros(1, x.shape[0], self.hidden_size)
        h0 = zeros if h0 is None else h0.unsqueeze(0)
        c0 = zeros if c0 is None else c0.unsqueeze(0)
        y, (h, c) = super().forward(x, (h0, c0))
        return {'y': y if self.return_sequences else y[:, -1], 'h': h.squeeze(0), 'c': c.squeeze(0)}


class GRU(nn.GRU):
    """
    torch.nn.GRU of one layer over a sequence [B, T, in_features] (batch
    first): every hidden state [B, T, units] (return_sequences) or the last
    [B, units] as y, and the final h; h0 [B, units] starts it (zeros when not given).
    """

    def __init__(self, in_features, units=128, return_sequences=True):
        super().__init__(input_size=in_features, hidden_size=units, batch_first=True)
        self.return_sequences = return_sequences

    def forward(self, x, h0=None):
        h0 = x.new_zeros(1, x.shape[0], self.hidden_size) if h0 is None else h0.unsqueeze(0)
        y, h = super().forward(x, h0)
        return {'y': y if self.return_sequences else y[:, -1], 'h': h.squeeze(0)}


# ---------------------------------------------------------------- vector quantizer


class VectorQuantizer(nn.Module):
    """
    VQ-VAE's vector quantiser (van den Oord et al. 2017), trained by its loss:
    each vector z of the last axis becomes its nearest code e of the codebook
    [codes, features]. Returns
      y           e, with the straight-through gradient z + (e - z).detach()
      tokens      the codes' ids [B, ...]
      loss        (‖sg(z) - e‖² + beta ‖z - sg(e)‖²) · weight, summed per
                  example and averaged over the batch ('sum') or averaged
                  over every element ('mean')
      perplexity  exp of the entropy of the batch's code frequencies
    With normalize, vectors and codes are compared and output at unit length.
    """

    def __init__(self, codes, features, beta=0.25, reduction='sum', normalize=False, weight=1.0):
        super().__init__()
        self.codebook = nn.Parameter(torch.empty(codes, features).uniform_(-1 / codes, 1 / codes))
        self.codes = codes
        self.beta = beta
        self.reduction = reduction
        self.normalize = normalize
        self.weight = weight

    def unit(self, t):
        return t / torch.sqrt(t.square().sum(dim=-1, keepdim=True) + 1e-12) if self.normalize else t

    def reduce(self, t):
        return per_example_sum(t).mean() if self.reduction == 'sum' else t.mean()

    def forward(self, z):
        x = self.unit(z)
        codebook = self.unit(self.codebook)
        flat = x.reshape(-1, x.shape[-1])
        with torch.no_grad():
            # ‖z - e‖² = ‖z‖² - 2 z·e + ‖e‖² for every vector and code.
            distances = flat.square().sum(1, keepdim=True) - 2 * flat @ codebook.t() + codebook.square().sum(1)
            ids = distances.argmin(dim=1)
        e = codebook[ids].reshape(x.shape)
        loss = (self.reduce((x.detach() - e).square()) + self.beta * self.reduce((x - e.detach()).square())) * self.weight
        frequencies = F.one_hot(ids, self.codes).to(x.dtype).mean(dim=0)
        perplexity = torch.exp(-(frequencies * torch.log(frequencies + 1e-10)).sum())
        return {'y': x + (e - x).detach(), 'tokens': ids.reshape(x.shape[:-1]), 'loss': loss, 'perplexity': perplexity}
