#!/usr/bin/env python3
"""
PyTorch reference for GenComposer's node kinds, used by torch-oracle.test.ts.

Reads a JSON array of cases on stdin and writes a JSON array of results on
stdout, one per case, in order. A case:

  kind, params        the node kind and its params (defaults filled in)
  inputs              port -> {dtype: 'float32' | 'int32', shape, values (flat)}
  weights             torch name -> {layout, shape, values}: the node's variables
                      in GenComposer's layout, named as this file's PyTorch
                      modules name their parameters
  R                   output port -> {shape, values}: the loss is sum(output * R)
                      over the float outputs
  random              the random draws the node made, in order:
                      {kind: 'normal' | 'uniform' | 'integers', shape, values}
  extra               anything else a kind needs (a permutation, a schedule's params)

A result: {outputs: port -> {shape, values}, grads: {inputs: port -> values,
weights: torch name -> values}} with gradients of sum(output * R) in the
layout the values came in; or {error: text}.

Every kind is written from its definition in PyTorch terms (NCHW convolutions,
torch.nn.functional, torch.distributions), in float64, so that it is an
independent check of the TF.js float32 implementation rather than a copy.
"""
import json
import math
import sys
import traceback

import torch
import torch.nn.functional as F

DT = torch.float64

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


def act(x, name):
    return ACTIVATIONS[name](x)


def to_torch_layout(leaf, layout):
    """GenComposer stores Dense kernels [in, out], conv kernels [kh, kw, in, out] and
    transposed-conv kernels [kh, kw, out, in]; PyTorch wants [out, in],
    [out, in, kh, kw] and [in, out, kh, kw]."""
    if layout == 'linear':
        return leaf.t()
    if layout in ('conv', 'convT'):
        return leaf.permute(3, 2, 0, 1)
    return leaf


class Case:
    def __init__(self, case):
        self.kind = case['kind']
        self.params = case['params']
        self.extra = case.get('extra') or {}
        self.leaves = {}
        self.inputs = {}
        for port, spec in case['inputs'].items():
            if spec['dtype'] == 'int32':
                self.inputs[port] = torch.tensor(spec['values'], dtype=torch.long).reshape(spec['shape'])
            else:
                leaf = torch.tensor(spec['values'], dtype=DT).reshape(spec['shape']).requires_grad_(True)
                self.leaves[('input', port)] = leaf
                self.inputs[port] = leaf
        self.weights = {}
        for name, spec in case['weights'].items():
            leaf = torch.tensor(spec['values'], dtype=DT).reshape(spec['shape']).requires_grad_(True)
            self.leaves[('weight', name)] = leaf
            self.weights[name] = to_torch_layout(leaf, spec['layout'])
        self.used = set()
        self.draws = list(case.get('random') or [])

    def w(self, name):
        self.used.add(name)
        return self.weights[name]

    def opt(self, name):
        return self.w(name) if name in self.weights else None

    def x(self, port):
        return self.inputs.get(port)

    def draw(self, kind, shape):
        if not self.draws:
            raise ValueError(f'no random draw left for {kind} {list(shape)}')
        d = self.draws.pop(0)
        if d['kind'] != kind or list(d['shape']) != list(shape):
            raise ValueError(f"random draw {d['kind']} {d['shape']} where {kind} {list(shape)} was due")
        dtype = torch.long if kind == 'integers' else DT
        return torch.tensor(d['values'], dtype=dtype).reshape(list(shape))


# ---------------------------------------------------------------- building blocks

def linear(c, name, x, activation='linear'):
    return act(F.linear(x, c.w(f'{name}weight'), c.opt(f'{name}bias')), activation)


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def same_pads(n, window, stride):
    """TensorFlow's 'same': ceil(n / stride) outputs, the padding split with the odd pixel at the end."""
    out = -(-n // stride)
    total = max((out - 1) * stride + window - n, 0)
    return total // 2, total - total // 2


def conv2d(c, name, x, stride, padding, activation='linear'):
    """x [B, H, W, C] in TF's layout; the convolution itself runs in PyTorch's NCHW."""
    weight = c.w(f'{name}weight')
    k = weight.shape[-1]
    xc = nchw(x)
    if padding == 'same':
        top, bottom = same_pads(xc.shape[2], k, stride)
        left, right = same_pads(xc.shape[3], k, stride)
        xc = F.pad(xc, (left, right, top, bottom))
    return act(nhwc(F.conv2d(xc, weight, c.opt(f'{name}bias'), stride=stride)), activation)


def masked_conv2d(c, x, k, mask_type, activation):
    """
    PixelCNN's masked convolution as PyTorch implementations write it: a
    mask of ones over the [out, in, k, k] weight, zeroed in the centre row
    from the centre on (past the centre for mask B) and in every row below.
    """
    weight = c.w('weight')
    centre = k // 2
    mask = torch.ones_like(weight)
    mask[:, :, centre, centre + (1 if mask_type == 'B' else 0):] = 0
    mask[:, :, centre + 1:] = 0
    return act(nhwc(F.conv2d(nchw(x), weight * mask, c.opt('bias'), padding=centre)), activation)


def conv2d_transpose(c, name, x, stride, padding, activation='linear'):
    """
    TensorFlow's conv2d_transpose: the gradient of the conv2d that maps the
    output (n·s for 'same', (n−1)·s + k for 'valid') back to x. The full
    transposed convolution covers that conv's padded input; cropping TF's
    padding off (zero-extending where the conv never reached) leaves the output.
    """
    weight = c.w(f'{name}weight')
    k = weight.shape[-1]
    xc = nchw(x)
    full = F.conv_transpose2d(xc, weight, stride=stride)
    sizes = []
    for axis in (2, 3):
        n = xc.shape[axis]
        out = n * stride if padding == 'same' else (n - 1) * stride + k
        before, after = same_pads(out, k, stride) if padding == 'same' else (0, 0)
        sizes.append((out, before, out + before + after))
    (oh, top, ph), (ow, left, pw) = sizes
    full = F.pad(full, (0, max(pw - full.shape[3], 0), 0, max(ph - full.shape[2], 0)))
    y = full[:, :, top:top + oh, left:left + ow]
    bias = c.opt(f'{name}bias')
    if bias is not None:
        y = y + bias.reshape(1, -1, 1, 1)
    return act(nhwc(y), activation)


def pool2d(x, kind, size, stride, padding):
    """TF pools: 'same' windows only see the image (max ignores the padding, the average divides by the pixels inside)."""
    xc = nchw(x)
    if padding == 'same':
        top, bottom = same_pads(xc.shape[2], size, stride)
        left, right = same_pads(xc.shape[3], size, stride)
        pads = (left, right, top, bottom)
    else:
        pads = (0, 0, 0, 0)
    if kind == 'max':
        y = F.max_pool2d(F.pad(xc, pads, value=-math.inf), size, stride)
    else:
        sums = F.avg_pool2d(F.pad(xc, pads), size, stride, divisor_override=1)
        inside = F.avg_pool2d(F.pad(torch.ones_like(xc), pads), size, stride, divisor_override=1)
        y = sums / inside
    return nhwc(y)


def layer_norm(c, name, x, eps):
    return F.layer_norm(x, (x.shape[-1],), c.w(f'{name}weight'), c.w(f'{name}bias'), eps)


def batch_norm(c, name, x, eps):
    """Per channel (the last axis), with the statistics of the batch (training mode, biased variance)."""
    moved = x.movedim(-1, 1)
    y = F.batch_norm(moved, None, None, c.w(f'{name}weight'), c.w(f'{name}bias'), training=True, momentum=0.0, eps=eps)
    return y.movedim(1, -1)


def group_norm(c, name, x, groups, eps):
    """torch.nn.GroupNorm's function on channels last: the channels moved to dim 1, where PyTorch wants them."""
    return F.group_norm(x.movedim(-1, 1), groups, c.w(f'{name}weight'), c.w(f'{name}bias'), eps).movedim(1, -1)


def recurrent(c, kind, x, p):
    """The kernel torch.nn.LSTM / nn.GRU call in forward (one layer, batch first), given our weights."""
    weights = [c.w(name) for name in ('weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0')]
    zeros = torch.zeros(1, x.shape[0], p['units'], dtype=DT)
    h0 = c.x('h0').unsqueeze(0) if c.x('h0') is not None else zeros
    if kind == 'LSTM':
        c0 = c.x('c0').unsqueeze(0) if c.x('c0') is not None else zeros
        y, h, cell = torch._VF.lstm(x, (h0, c0), weights, True, 1, 0.0, False, False, True)
        out = {'h': h.squeeze(0), 'c': cell.squeeze(0)}
    else:
        y, h = torch._VF.gru(x, h0, weights, True, 1, 0.0, False, False, True)
        out = {'h': h.squeeze(0)}
    out['y'] = y if p['returnSequences'] else y[:, -1]
    return out


def causal_mask(t, s):
    """PyTorch's float attention mask: 0 where key j <= query i, -1e9 added where j > i."""
    return torch.triu(torch.full((t, s), -1e9, dtype=DT), diagonal=1)


def attention(c, prefix, x, context, heads, causal):
    """Multi-head scaled dot-product attention; keys and values from the context when given."""
    source = x if context is None else context
    q = linear(c, f'{prefix}q_proj.', x)
    k = linear(c, f'{prefix}k_proj.', source)
    v = linear(c, f'{prefix}v_proj.', source)
    b, t, d = q.shape
    s = k.shape[1]
    dh = d // heads

    def split(u):
        return u.reshape(b, -1, heads, dh).transpose(1, 2)

    scores = split(q) @ split(k).transpose(-2, -1) / math.sqrt(dh)
    if causal:
        scores = scores + causal_mask(t, s)
    mixed = torch.softmax(scores, dim=-1) @ split(v)
    return linear(c, f'{prefix}out_proj.', mixed.transpose(1, 2).reshape(b, t, d))


def sinusoid_positions(t, d):
    """Vaswani et al.: PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(the same)."""
    pos = torch.arange(t, dtype=DT).unsqueeze(1)
    j = torch.arange(d)
    rates = torch.pow(torch.tensor(10000.0, dtype=DT), -(2 * torch.div(j, 2, rounding_mode='floor')).to(DT) / d)
    angles = pos * rates
    return torch.where(j % 2 == 0, torch.sin(angles), torch.cos(angles))


def timestep_embedding(t, dim, max_period):
    """DDPM's get_timestep_embedding: frequencies exp(-ln(maxPeriod) i / (half - 1)), sines then cosines."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=DT) / max(half - 1, 1))
    args = t.to(DT).reshape(-1, 1) * freqs.reshape(1, -1)
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


def log_scale(s_raw, clamp):
    return clamp * torch.tanh(s_raw / clamp) if clamp > 0 else s_raw


def per_example_sum(x):
    return x.reshape(x.shape[0], -1).sum(dim=1)


def with_logdet(c, own):
    logdet = c.x('logdet')
    if logdet is None:
        return own
    return logdet + own


def schedule_betas(p):
    """Ho et al.'s linear betas, or Nichol & Dhariwal's cosine ones (clipped at 0.999)."""
    n = p['steps']
    if p['kind'] == 'linear':
        betas = torch.linspace(p['betaStart'], p['betaEnd'], n, dtype=DT)
    else:
        s = p['cosineOffset']

        def f(u):
            return torch.cos((u + s) / (1 + s) * math.pi / 2) ** 2

        i = torch.arange(n, dtype=DT)
        betas = torch.clamp(1 - f((i + 1) / n) / f(i / n), max=0.999)
    return betas


def schedule_alpha_bars(p):
    return torch.cumprod(1 - schedule_betas(p), dim=0)


def dropout(c, x, rate):
    """Inverted dropout with the uniform draws of the run: keep where u >= rate, scale by 1 / (1 - rate)."""
    if rate == 0:
        return x
    u = c.draw('uniform', x.shape)
    return x * (u >= rate).to(DT) / (1 - rate)


def bce_logits_elementwise(logits, target):
    return F.binary_cross_entropy_with_logits(logits, target, reduction='none')


def normal_nll(z):
    """-log N(z; 0, I), per example."""
    return -per_example_sum(torch.distributions.Normal(torch.zeros_like(z), torch.ones_like(z)).log_prob(z))


# ---------------------------------------------------------------- kinds

def vector_quantizer(c, z, p):
    """
    VQ-VAE's quantiser (van den Oord et al. 2017) as PyTorch implementations
    write it: the nearest code by torch.cdist, the straight-through output
    z + (e − z).detach(), the codebook and commitment terms with detach(),
    and the perplexity of the code frequencies (torch.bincount).
    """
    codebook = c.w('codebook')
    if p['normalize']:
        z = F.normalize(z, dim=-1)
        codebook = F.normalize(codebook, dim=-1)
    flat_z = z.reshape(-1, z.shape[-1])
    ids = torch.cdist(flat_z, codebook).argmin(dim=1)
    e = codebook[ids].reshape(z.shape)
    if p['reduction'] == 'sum':
        def reduce(t):
            return t.reshape(t.shape[0], -1).sum(1).mean()
    else:
        def reduce(t):
            return t.mean()
    loss = (reduce((z.detach() - e) ** 2) + p['beta'] * reduce((z - e.detach()) ** 2)) * p['weight']
    freq = torch.bincount(ids, minlength=p['codes']).to(DT) / ids.numel()
    perplexity = torch.exp(-(freq * torch.log(freq + 1e-10)).sum())
    return {'y': z + (e - z).detach(), 'tokens': ids.reshape(z.shape[:-1]), 'loss': loss, 'perplexity': perplexity}


def run_kind(c):
    p = c.params
    k = c.kind
    x = c.x('x')

    # Layers
    if k == 'Dense':
        return {'y': linear(c, '', x, p['activation'])}
    if k == 'Activation':
        return {'y': act(x, p['fn'])}
    if k == 'Add':
        return {'y': c.x('a') + c.x('b')}
    if k == 'Multiply':
        return {'y': c.x('a') * c.x('b')}
    if k == 'ScaleShift':
        # The Jacobian is scale * I: log|det| = (elements per example) * log|scale|.
        own = torch.full((x.shape[0],), x[0].numel() * math.log(abs(p['scale'])), dtype=DT)
        return {'y': x * p['scale'] + p['shift'], 'logdet': with_logdet(c, own)}
    if k == 'Logit':
        a = p['alpha']
        s = a + (1 - 2 * a) * x
        own = math.log(1 - 2 * a) - torch.log(s) - torch.log(1 - s)
        return {'y': torch.log(s) - torch.log(1 - s), 'logdet': with_logdet(c, per_example_sum(own))}
    if k == 'Reshape':
        return {'y': x.reshape(x.shape[0], *p['shape'])}
    if k == 'Flatten':
        return {'y': torch.flatten(x, start_dim=1)}
    if k == 'Conv2D':
        return {'y': conv2d(c, '', x, p['strides'], p['padding'], p['activation'])}
    if k == 'MaskedConv2D':
        return {'y': masked_conv2d(c, x, p['kernelSize'], p['mask'], p['activation'])}
    if k == 'Conv2DTranspose':
        return {'y': conv2d_transpose(c, '', x, p['strides'], p['padding'], p['activation'])}
    if k in ('MaxPool2D', 'AvgPool2D'):
        stride = p.get('strides') or p['poolSize']
        return {'y': pool2d(x, 'max' if k == 'MaxPool2D' else 'avg', p['poolSize'], stride, p['padding'])}
    if k == 'Upsample2D':
        return {'y': nhwc(F.interpolate(nchw(x), scale_factor=p['factor'], mode='nearest'))}
    if k == 'BatchNorm':
        return {'y': batch_norm(c, '', x, p['epsilon'])}
    if k == 'LayerNorm':
        return {'y': layer_norm(c, '', x, p['epsilon'])}
    if k in ('LSTM', 'GRU'):
        return recurrent(c, k, x, p)
    if k == 'GroupNorm':
        return {'y': group_norm(c, '', x, p['groups'], p['epsilon'])}
    if k == 'StopGradient':
        return {'y': x.detach()}
    if k == 'VectorQuantizer':
        return vector_quantizer(c, c.x('z'), p)
    if k == 'StraightThrough':
        g = c.x('gradient')
        return {'y': g + (c.x('value') - g).detach()}
    if k == 'Constant':
        like = c.x('like')
        shape = list(like.shape) if like is not None else [c.extra['batch'], *p['shape']]
        dtype = torch.long if p['type'] == 'tokens' else DT
        if p['fill'] == 'values':
            return {'y': torch.tensor(p['values'], dtype=dtype).reshape(shape[1:]).expand(shape)}
        return {'y': torch.full(shape, {'zeros': 0, 'ones': 1, 'value': p['value']}[p['fill']], dtype=dtype)}
    if k == 'Dropout':
        return {'y': dropout(c, x, p['rate'])}
    if k == 'SinusoidalEmbedding':
        return {'y': timestep_embedding(c.x('t'), p['dim'], p['maxPeriod'])}
    if k == 'Embedding':
        return {'y': F.embedding(c.x('tokens'), c.w('weight'))}
    if k == 'PositionalEncoding':
        t, d = x.shape[1], x.shape[2]
        table = c.w('positions')[:t] if p['mode'] == 'learned' else sinusoid_positions(t, d)
        return {'y': x + table}
    if k == 'Softmax':
        return {'y': torch.softmax(x, dim=p['axis'])}
    if k == 'Transpose':
        return {'y': x.permute(*p['perm'])}
    if k == 'MatMul':
        b = c.x('b')
        if p['transposeB']:
            b = b.transpose(-2, -1)
        return {'y': torch.matmul(c.x('a'), b) * p['scale']}
    if k == 'CausalMask':
        scores = c.x('scores')
        return {'y': scores + causal_mask(scores.shape[-2], scores.shape[-1])}
    if k == 'SplitHeads':
        b, t, d = x.shape
        return {'y': x.reshape(b, t, p['heads'], d // p['heads']).transpose(1, 2)}
    if k == 'MergeHeads':
        b, h, t, d = x.shape
        return {'y': x.transpose(1, 2).reshape(b, t, h * d)}

    # Flows and diffusion
    if k == 'Split':
        axis = p['axis'] % x.dim()
        at = p.get('at') or x.shape[axis] // 2
        a, b = torch.split(x, [at, x.shape[axis] - at], dim=axis)
        return {'a': a, 'b': b}
    if k == 'Concat':
        return {'y': torch.cat([c.x('a'), c.x('b')], dim=p['axis'])}
    if k == 'AffineCoupling':
        s = log_scale(c.x('s'), p['clamp'])
        return {'y': x * torch.exp(s) + c.x('t'), 'logdet': with_logdet(c, per_example_sum(s))}
    if k == 'Permute':
        d = x.shape[-1]
        if p['mode'] == 'reverse':
            y = torch.flip(x, dims=[-1])
        else:
            order = c.extra['order']
            if sorted(order) != list(range(d)):
                raise ValueError(f'not a permutation of {d} features: {order}')
            y = x[..., order]
        return {'y': y, 'logdet': with_logdet(c, torch.zeros(x.shape[0], dtype=DT))}
    if k == 'ActNorm':
        log_s = c.w('log_scale')
        positions = x[0, ..., 0].numel()
        y = (x + c.w('bias')) * torch.exp(log_s)
        return {'y': y, 'logdet': with_logdet(c, (positions * log_s.sum()).expand(x.shape[0]))}
    if k == 'NoiseSchedule':
        betas = schedule_betas(p)
        return {'schedule': torch.stack([betas, 1 - betas, torch.cumprod(1 - betas, dim=0)], dim=1)}
    if k == 'Noise':
        shape = [c.extra['batch'], *p['shape']]
        if p['distribution'] == 'normal':
            return {'z': c.draw('normal', shape)}
        return {'z': 2 * c.draw('uniform', shape) - 1}
    if k == 'Diffuse':
        x0 = c.x('x0')
        alpha_bars = schedule_alpha_bars(c.extra['schedule'])
        t = c.draw('integers', [x0.shape[0]])
        noise = c.draw('normal', x0.shape)
        ab = alpha_bars[t].reshape(-1, *([1] * (x0.dim() - 1)))
        return {'xt': ab.sqrt() * x0 + (1 - ab).sqrt() * noise, 't': t, 'noise': noise}

    # Blocks
    if k == 'Reparameterize':
        mu, logvar = c.x('mu'), c.x('logvar')
        eps = c.draw('normal', mu.shape)
        return {'z': mu + torch.exp(0.5 * logvar) * eps}
    if k == 'Encoder':
        h = x
        if p['architecture'] == 'conv':
            for i in range(len(p['hidden'])):
                h = conv2d(c, f'body.{i}.', h, 2, 'same', p['activation'])
            h = torch.flatten(h, start_dim=1)  # NHWC order, as the Dense heads expect
        else:
            h = torch.flatten(h, start_dim=1)
            for i in range(len(p['hidden'])):
                h = linear(c, f'body.{i}.', h, p['activation'])
        return {'mu': linear(c, 'mu.', h), 'logvar': linear(c, 'logvar.', h)}
    if k in ('Decoder', 'Generator'):
        return {'x': decoder(c, c.x('z'), p)}
    if k == 'Discriminator':
        h = x
        if p['architecture'] == 'conv':
            for i in range(len(p['hidden'])):
                h = dropout(c, conv2d(c, f'body.{i}.', h, 2, 'same', p['activation']), p['dropout'])
            h = torch.flatten(h, start_dim=1)
        else:
            h = torch.flatten(h, start_dim=1)
            for i in range(len(p['hidden'])):
                h = dropout(c, linear(c, f'body.{i}.', h, p['activation']), p['dropout'])
        return {'logit': linear(c, 'logit.', h)}
    if k == 'AttentionBlock':
        return {'y': attention(c, '', x, c.x('context'), p['heads'], p['causal'])}
    if k == 'TransformerBlock':
        h = x + attention(c, 'attn.', layer_norm(c, 'ln1.', x, 1e-5), None, p['heads'], p['causal'])
        context = c.x('context')
        if context is not None:
            h = h + attention(c, 'cross.', layer_norm(c, 'ln_cross.', h, 1e-5), context, p['heads'], False)
        m = linear(c, 'mlp.fc.', layer_norm(c, 'ln2.', h, 1e-5), 'gelu')
        return {'y': h + linear(c, 'mlp.proj.', m)}
    if k == 'CouplingLayer':
        d = x.shape[1]
        first = d // 2
        a, b = x[:, :first], x[:, first:]
        cond, moving = (b, a) if p['flip'] else (a, b)
        h = cond
        for i in range(p['layers']):
            h = linear(c, f'net.{i}.', h, p['activation'])
        s = log_scale(linear(c, 's.', h), p['clamp'])
        moved = moving * torch.exp(s) + linear(c, 't.', h)
        y = torch.cat([moved, b] if p['flip'] else [a, moved], dim=1)
        if p['permute'] == 'reverse':
            y = torch.flip(y, dims=[1])
        return {'y': y, 'logdet': with_logdet(c, s.sum(dim=1))}
    if k == 'TimeEmbedding':
        e = timestep_embedding(c.x('t'), p['dim'], 10000)
        return {'emb': linear(c, 'fc2.', linear(c, 'fc1.', e, 'silu'))}
    if k == 'UNetBlock':
        a = p['activation']
        grouped = p['norm'] == 'group'

        def before_conv(h, i):
            """DDPM's order with a norm: GroupNorm, then the activation, then the conv (which then has none)."""
            return act(group_norm(c, f'norm{i}.', h, p['groups'], 1e-5), a) if grouped else h

        conv_act = 'linear' if grouped else a
        h = conv2d(c, 'conv1.', before_conv(x, 1), 1, 'same', conv_act)
        temb = c.x('temb')
        if temb is not None:
            h = h + linear(c, 'temb_proj.', act(temb, a)).reshape(temb.shape[0], 1, 1, -1)
        h = conv2d(c, 'conv2.', before_conv(h, 2), 1, 'same', conv_act)
        skip = x if x.shape[-1] == p['filters'] else conv2d(c, 'skip.', x, 1, 'same')
        return {'y': h + skip}

    # Objectives
    weight = p.get('weight', 1)
    if k == 'ReconstructionLoss':
        pred, target = c.x('prediction'), c.x('target')
        if p['loss'] == 'mse':
            elementwise = F.mse_loss(pred, target, reduction='none')
        elif p['fromLogits']:
            elementwise = bce_logits_elementwise(pred, target)
        else:
            elementwise = F.binary_cross_entropy(torch.clamp(pred, 1e-7, 1 - 1e-7), target, reduction='none')
        reduced = per_example_sum(elementwise).mean() if p['reduction'] == 'sum' else elementwise.mean()
        return {'loss': weight * reduced}
    if k == 'KLDivergence':
        mu, logvar = c.x('mu'), c.x('logvar')
        q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
        prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
        return {'loss': weight * per_example_sum(torch.distributions.kl_divergence(q, prior)).mean()}
    if k == 'AdversarialLoss':
        fake, real, variant = c.x('fake'), c.x('real'), p['loss']
        ones, zeros = torch.ones_like(fake), torch.zeros_like(fake)
        if p['side'] == 'generator':
            if variant == 'non-saturating':
                loss = F.binary_cross_entropy_with_logits(fake, ones)
            elif variant == 'least-squares':
                loss = 0.5 * F.mse_loss(fake, ones)
            else:  # hinge and wasserstein
                loss = -fake.mean()
        elif variant == 'non-saturating':
            loss = F.binary_cross_entropy_with_logits(real, ones) + F.binary_cross_entropy_with_logits(fake, zeros)
        elif variant == 'least-squares':
            loss = 0.5 * F.mse_loss(real, ones) + 0.5 * F.mse_loss(fake, zeros)
        elif variant == 'hinge':
            loss = F.relu(1 - real).mean() + F.relu(1 + fake).mean()
        else:  # wasserstein
            loss = fake.mean() - real.mean()
        return {'loss': weight * loss}
    if k == 'FlowNLL':
        z = c.x('z')
        nll = (normal_nll(z) - c.x('logdet')).mean()
        if p['perDimension']:
            nll = nll / z[0].numel()
        return {'loss': weight * nll}
    if k == 'DiffusionLoss':
        return {'loss': weight * F.mse_loss(c.x('prediction'), c.x('noise'))}
    if k == 'NextTokenCrossEntropy':
        logits, targets = c.x('logits'), c.x('targets')
        flat_logits = logits.reshape(-1, logits.shape[-1])
        flat_targets = targets.reshape(-1)
        ignore = p['ignoreIndex']
        if ignore >= 0 and bool((flat_targets == ignore).all()):
            # Nothing counted: the node defines the loss as 0 rather than 0/0.
            return {'loss': (flat_logits * 0).sum()}
        loss = F.cross_entropy(flat_logits, flat_targets, ignore_index=ignore if ignore >= 0 else -100)
        return {'loss': weight * loss}
    if k == 'ClassificationLoss':
        return {'loss': weight * F.cross_entropy(c.x('logits'), c.x('labels'))}
    raise ValueError(f'no reference for kind {k}')


def decoder(c, z, p):
    """Decoder / Generator: Dense layers, or DCGAN (Dense to a small image, then stride-2 transposed convs)."""
    if p['architecture'] == 'mlp':
        h = z
        for i in range(len(p['hidden'])):
            h = linear(c, f'body.{i}.', h, p['activation'])
        h = linear(c, 'out.', h, p['outputActivation'])
        return h.reshape(h.shape[0], *p['outputShape'])
    out_h, out_w, _ = p['outputShape']
    scale = 2 ** len(p['hidden'])
    bn = p['batchNorm']

    def norm_act(h, i):
        return act(batch_norm(c, f'bn.{i}.', h, 1e-3), p['activation']) if bn else h

    inner = 'linear' if bn else p['activation']
    h = linear(c, 'fc.', z, inner).reshape(z.shape[0], out_h // scale, out_w // scale, p['hidden'][0])
    h = norm_act(h, 0)
    for i in range(1, len(p['hidden'])):
        h = norm_act(conv2d_transpose(c, f'up.{i}.', h, 2, 'same', inner), i)
    return conv2d_transpose(c, 'out.', h, 2, 'same', p['outputActivation'])


def flat(t):
    return t.detach().reshape(-1).tolist()


def run_case(case):
    c = Case(case)
    outputs = run_kind(c)
    unused = set(c.weights) - c.used
    if unused:
        raise ValueError(f'weights given but not used: {sorted(unused)}')
    if c.draws:
        raise ValueError(f'{len(c.draws)} random draws left unused')
    objective = torch.zeros((), dtype=DT)
    for port, spec in case['R'].items():
        objective = objective + (outputs[port] * torch.tensor(spec['values'], dtype=DT).reshape(spec['shape'])).sum()
    leaves = list(c.leaves.items())
    grads = torch.autograd.grad(objective, [leaf for _, leaf in leaves], allow_unused=True) if leaves and objective.requires_grad else [None] * len(leaves)
    result = {'outputs': {}, 'grads': {'inputs': {}, 'weights': {}}}
    for port, t in outputs.items():
        result['outputs'][port] = {'shape': list(t.shape), 'values': flat(t)}
    for ((group, name), leaf), g in zip(leaves, grads):
        result['grads']['inputs' if group == 'input' else 'weights'][name] = flat(g if g is not None else torch.zeros_like(leaf))
    return result


def main():
    cases = json.load(sys.stdin)
    results = []
    for case in cases:
        try:
            results.append(run_case(case))
        except Exception:  # reported per case by the test
            results.append({'error': traceback.format_exc()})
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
