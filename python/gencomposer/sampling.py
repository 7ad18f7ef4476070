"""
GenComposer's sampler loops, for sample.py: the prior, the denoising loops
(DDPM, DDIM, classifier-free guidance), a flow run backwards, token by token
and pixel by pixel. Each loop runs the networks model.py writes for it
(Model.sample_<sampler>_<network>) and makes its random draws in the order
GenComposer makes them, so with AppRandom(seed) it draws exactly what
`gencomposer sample --seed SEED` draws.
"""
import math
import struct
import zlib
from functools import partial

import torch

from .data import Rng, decode_tokens

__all__ = ['AppRandom', 'prior', 'denoise', 'flow', 'tokens', 'pixels', 'sample_token', 'ddpm_step', 'ddim_step', 'ddim_timesteps',
           'condition_labels', 'run_sampler', 'LOOPS', 'write_png', 'image_grid', 'scatter_image', 'save_samples']

# Columns of a NoiseSchedule's table [T, 3].
BETA, ALPHA, ALPHA_BAR = 0, 1, 2


class AppRandom:
    """
    GenComposer's own generator (xoshiro128** seeded through splitmix32,
    Box-Muller normals), draw for draw: tensors are filled in row-major order
    from single draws, as the app fills them. Pure Python, so slow for long
    chains: for checking an export against the app, or short runs.
    """

    def __init__(self, seed, device=None):
        self.rng = Rng(seed)
        self.device = device

    def _tensor(self, shape, draw, dtype):
        n = math.prod(shape)
        return torch.tensor([draw() for _ in range(n)], dtype=dtype, device=self.device).reshape(tuple(shape))

    def normal(self, shape, dtype=torch.float32):
        return self._tensor(shape, self.rng.normal, dtype)

    def uniform(self, shape, dtype=torch.float32):
        return self._tensor(shape, self.rng.uniform, dtype)

    def integers(self, shape, high):
        return self._tensor(shape, lambda: self.rng.integer(high), torch.long)


def _transform(x, name):
    if name == 'sigmoid':
        return torch.sigmoid(x)
    if name == 'tanh':
        return torch.tanh(x)
    return x


def prior(nets, random, count, shape, distribution='normal', transform='none', device=None):
    """A VAE's or GAN's samples: the latent drawn from the prior (normal, or uniform on [-1, 1)) and decoded."""
    size = [count, *shape]
    z = random.normal(size) if distribution == 'normal' else random.uniform(size) * 2 - 1
    return _transform(nets['decode'](z=z), transform)


def flow(nets, random, count, shape, temperature=1.0, device=None):
    """A flow's samples: z ~ N(0, temperature^2 I), the flow run backwards to data."""
    return nets['invert'](z=random.normal([count, *shape]) * temperature)


def ddpm_step(x, eps, t, tables, noise=None, clip=False, variance='beta'):
    """One ancestral step x_t -> x_{t-1} (Ho et al. 2020, Algorithm 2), in double precision as the app takes it."""
    betas, alphas, alpha_bars = tables
    beta, alpha, alpha_bar = float(betas[t]), float(alphas[t]), float(alpha_bars[t])
    alpha_bar_prev = float(alpha_bars[t - 1]) if t > 0 else 1.0
    # The last step returns the mean: adding noise there would only blur the sample.
    sigma = 0.0 if t == 0 else math.sqrt(beta * (1 - alpha_bar_prev) / (1 - alpha_bar) if variance == 'posterior' else beta)
    x, eps = x.double(), eps.double()
    if clip:
        x0 = ((x - math.sqrt(1 - alpha_bar) * eps) / math.sqrt(alpha_bar)).clamp(-1, 1)
        mean = beta * math.sqrt(alpha_bar_prev) / (1 - alpha_bar) * x0 + (1 - alpha_bar_prev) * math.sqrt(alpha) / (1 - alpha_bar) * x
    else:
        mean = (x - beta / math.sqrt(1 - alpha_bar) * eps) / math.sqrt(alpha)
    if sigma != 0:
        mean = mean + sigma * noise.double()
    return mean.float()


def ddim_timesteps(total, steps):
    """The steps DDIM visits, descending, evenly strided and ending at total - 1 ("trailing")."""
    if not 1 <= steps <= total:
        raise ValueError(f'cannot take {steps} of {total} steps')
    return [(i * total) // steps - 1 for i in range(steps, 0, -1)]


def ddim_step(x, eps, t, t_prev, alpha_bars, eta, noise=None, clip=False):
    """One DDIM step x_t -> x_{t_prev} (Song et al. 2021, eq. 12); t_prev < 0 is the clean sample."""
    alpha_bar = float(alpha_bars[t])
    alpha_bar_prev = 1.0 if t_prev < 0 else float(alpha_bars[t_prev])
    sigma = eta * math.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar)) * math.sqrt(1 - alpha_bar / alpha_bar_prev)
    direction = math.sqrt(max(0.0, 1 - alpha_bar_prev - sigma * sigma))
    x, eps = x.double(), eps.double()
    x0 = (x - math.sqrt(1 - alpha_bar) * eps) / math.sqrt(alpha_bar)
    if clip:
        outside = (x0 > 1) | (x0 < -1)
        clipped = x0.clamp(-1, 1)
        eps = torch.where(outside, (x - math.sqrt(alpha_bar) * clipped) / math.sqrt(1 - alpha_bar), eps)
        x0 = clipped
    out = math.sqrt(alpha_bar_prev) * x0 + direction * eps
    if sigma > 0:
        out = out + sigma * noise.double()
    return out.float()


def denoise(nets, random, count, shape, loop, guidance=0.0, null_label=None, clip_denoised=False, variance='beta', steps=None, eta=0.0,
            on_step=None, device=None):
    """
    A diffusion model's samples: from pure noise, the denoiser at each step
    visited (every step for 'ddpm', `steps` strided ones for 'ddim'), with
    classifier-free guidance eps = (1 + w) eps(x, class) - w eps(x, null).
    """
    table = nets['schedule']().double().cpu()
    total = table.shape[0]
    tables = (table[:, BETA], table[:, ALPHA], table[:, ALPHA_BAR])
    size = [count, *shape]
    x = random.normal(size)
    visits = list(range(total - 1, -1, -1)) if loop == 'ddpm' else ddim_timesteps(total, steps)
    for i, t in enumerate(visits):
        t_batch = torch.full((count,), t, dtype=torch.long, device=x.device)
        eps = nets['denoise'](x_t=x, t=t_batch)
        if guidance > 0:
            unconditional = nets['denoise'](x_t=x, t=t_batch, labels=torch.full((count,), null_label, dtype=torch.long, device=x.device))
            eps = eps * (1 + guidance) - unconditional * guidance
        if loop == 'ddpm':
            x = ddpm_step(x, eps, t, tables, random.normal(size) if t > 0 else None, clip_denoised, variance)
        else:
            nxt = visits[i + 1] if i + 1 < len(visits) else -1
            x = ddim_step(x, eps, t, nxt, tables[2], eta, random.normal(size) if eta > 0 else None, clip_denoised)
        if on_step:
            on_step(i, len(visits), x)
    return x


def sample_token(logits, temperature, top_k, uniform):
    """
    One token from softmax(logits / temperature) by inverse CDF on `uniform`,
    among the top_k largest logits when top_k > 0 (ties to the lower id);
    temperature <= 0 picks the largest logit.
    """
    n = len(logits)
    kept = list(range(n))
    if 0 < top_k < n:
        kept = sorted(sorted(kept, key=lambda i: (-logits[i], i))[:top_k])
    best = kept[0]
    for i in kept:
        if logits[i] > logits[best]:
            best = i
    if not temperature > 0 or not logits[best] > -math.inf:
        return best
    weights = [math.exp((logits[i] - logits[best]) / temperature) for i in kept]
    target = uniform * sum(weights)
    cumulative = 0.0
    for j, w in enumerate(weights):
        cumulative += w
        if target < cumulative:
            return kept[j]
    for j in range(len(kept) - 1, -1, -1):
        if weights[j] > 0:
            return kept[j]
    return best


def tokens(nets, random, count, context, vocab, temperature=1.0, top_k=0, length=None, start_token=1, stop_token=1, device=None):
    """
    Token sequences, one token at a time: the model re-run on the tokens so
    far, the next drawn from its scores at the last position; a sequence ends
    after stop_token and is padded with 0.
    """
    length = length or context
    inputs = torch.zeros((count, context), dtype=torch.long, device=device)
    inputs[:, 0] = start_token
    out = [[] for _ in range(count)]
    finished = [False] * count
    for position in range(length):
        scores = nets['logits'](tokens=inputs)[:, position, :].double().cpu().tolist()
        live = [b for b in range(count) if not finished[b]]
        draws = random.uniform([len(live)], dtype=torch.float64).tolist()
        for b in range(count):
            if finished[b]:
                out[b].append(0)
        for b, u in zip(live, draws):
            token = sample_token(scores[b], temperature, top_k, u)
            out[b].append(token)
            if position + 1 < context:
                inputs[b, position + 1] = token
            if token == stop_token:
                finished[b] = True
        if all(finished):
            for row in out:
                row.extend([0] * (length - len(row)))
            break
    return out


def pixels(nets, random, count, shape, scores, draw, temperature=1.0, device=None):
    """
    Images (or code maps) position by position in raster order, the model
    re-run on what is drawn so far: 'bernoulli' draws 0/1 per channel,
    'levels' one of K grey levels (k / (K - 1)), 'codes' a code id.
    """
    height, width = shape[0], shape[1]
    channels = shape[2] if len(shape) > 2 else 1
    codes = draw == 'codes'
    values = torch.zeros((count, *shape), dtype=torch.long if codes else torch.float32, device=device)
    for row in range(height):
        for column in range(width):
            at = nets['scores'](values=values)[:, row, column, :].double().cpu()
            if draw == 'bernoulli':
                u = random.uniform([count, channels], dtype=torch.float64).cpu()
                values[:, row, column, :] = (u < 1 / (1 + torch.exp(-at / temperature))).to(values.dtype)
                continue
            u = random.uniform([count], dtype=torch.float64).tolist()
            for b in range(count):
                level = sample_token(at[b].tolist(), temperature, 0, u[b])
                if codes:
                    values[b, row, column] = level
                else:
                    values[b, row, column, 0] = level / (scores - 1)
    return values


LOOPS = {'prior': prior, 'denoise': denoise, 'flow': flow, 'tokens': tokens, 'pixels': pixels}


def condition_labels(choice, classes, count):
    """The label of each sample, in equal contiguous runs: 'each-class' (0..classes-1) or a list of labels."""
    values = list(range(classes or 0)) if choice == 'each-class' else [int(v) for v in choice]
    if not values:
        raise ValueError('no labels to sample with')
    return [values[(i * len(values)) // count] for i in range(count)]


def run_sampler(model, spec, count, random, batch, ctx, condition=None, device=None):
    """
    Runs one sampler of sample.py's SAMPLERS on `model`: the chosen labels
    (condition: 'each-class', 'held-out' or a list; default the sampler's
    own), its loop over its networks, then the nodes after it. Returns
    (samples, labels): a tensor, or token lists for a token sampler.
    """
    labels = None
    wanted = spec.get('condition')
    if wanted is not None:
        choice = condition if condition is not None else wanted['choice']
        if choice == 'held-out':
            method, _ = spec['networks']['held_out_labels']
            labels = getattr(model, method)(batch=batch, ctx=ctx).long()
        else:
            labels = torch.tensor(condition_labels(choice, wanted['classes'], count), dtype=torch.long, device=device)
    nets = {}
    for name, (method, inputs) in spec['networks'].items():
        run = partial(getattr(model, method), batch=batch, ctx=ctx)
        nets[name] = partial(run, labels=labels) if 'labels' in inputs else run
    result = LOOPS[spec['loop']](nets, random, count, device=device, **spec['args'])
    if 'after' in nets:
        result = nets['after'](x=result)
    return result, (labels.tolist() if labels is not None else None)


def write_png(path, pixels, height, width, channels):
    """An 8-bit grey (1 channel) or RGB (3) PNG from row-major bytes."""
    color = {1: 0, 3: 2}[channels]
    stride = width * channels
    raw = b''.join(b'\x00' + bytes(pixels[y * stride:(y + 1) * stride]) for y in range(height))

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, color, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw, 6)) + chunk(b'IEND', b''))


def image_grid(images, value_range=(0, 1), columns=None, gap=2, tile=56):
    """
    Images [B, H, W, C] (C 1 or 3) or [B, H, W] on a grid with gaps, small
    ones upscaled to about `tile` pixels a side, as (bytes, height, width,
    channels) for write_png.
    """
    images = images.detach().float().cpu()
    if images.dim() == 3:
        images = images.unsqueeze(-1)
    low, high = value_range
    images = ((images - low) / (high - low)).clamp(0, 1).mul(255).round().to(torch.uint8)
    scale = max(1, tile // max(images.shape[1], images.shape[2]))
    images = images.repeat_interleave(scale, dim=1).repeat_interleave(scale, dim=2)
    count, h, w, c = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = torch.full((rows * (h + gap) + gap, columns * (w + gap) + gap, c), 255, dtype=torch.uint8)
    for i in range(count):
        y, x = gap + (i // columns) * (h + gap), gap + (i % columns) * (w + gap)
        grid[y:y + h, x:x + w] = images[i]
    return grid.flatten().tolist(), grid.shape[0], grid.shape[1], c


def _picture_shape(shape):
    """The image shape [H, W, C] samples of this shape are drawn as (a flat [B, D] with D a square above 16 as D = side^2), or None."""
    rest = list(shape[1:])
    if len(rest) == 1:
        side = round(math.sqrt(rest[0]))
        return [side, side, 1] if rest[0] > 16 and side * side == rest[0] else None
    if len(rest) == 2:
        return rest + [1]
    if len(rest) == 3 and rest[2] in (1, 3):
        return rest
    return None


def _label_runs(labels):
    """Tiles per row that put each class on its own row, when the labels come in equal runs."""
    if not labels or len(labels) < 2:
        return None
    run = next((i for i in range(1, len(labels)) if labels[i] != labels[0]), len(labels))
    if run in (1, len(labels)) or len(labels) % run or any(labels[i] != labels[i - i % run] for i in range(len(labels))):
        return None
    return run


def scatter_image(points, size=256):
    """Points [B, 2] as black dots on white, the view fitted to them (y up)."""
    points = points.detach().float().cpu()
    low, high = points.min(dim=0).values, points.max(dim=0).values
    span = (high - low).clamp(min=1e-6)
    pixels = [255] * (size * size)
    margin = 8
    for px, py in points.tolist():
        x = int(margin + (px - float(low[0])) / float(span[0]) * (size - 1 - 2 * margin))
        y = int(size - 1 - margin - (py - float(low[1])) / float(span[1]) * (size - 1 - 2 * margin))
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if 0 <= x + dx < size and 0 <= y + dy < size:
                    pixels[(y + dy) * size + x + dx] = 0
    return pixels, size, size, 1


def save_samples(stem, samples, labels=None, value_range=(0, 1)):
    """
    Writes STEM.pt (the samples as they came) and what a person looks at:
    STEM.txt for token sequences, STEM.png for images (a row per class when
    labels come in equal runs) and for 2-D points. Returns the files written.
    """
    written = [f'{stem}.pt']
    torch.save(samples if isinstance(samples, list) else samples.detach().cpu(), f'{stem}.pt')
    if isinstance(samples, list):
        with open(f'{stem}.txt', 'w', encoding='utf-8') as f:
            f.write(''.join(decode_tokens([1, *row]) + '\n' for row in samples))
        return written + [f'{stem}.txt']
    if samples.dim() == 2 and samples.shape[1] == 2:
        write_png(f'{stem}.png', *scatter_image(samples))
        return written + [f'{stem}.png']
    picture = _picture_shape(samples.shape)
    if picture:
        write_png(f'{stem}.png', *image_grid(samples.reshape(-1, *picture), value_range, _label_runs(labels)))
        return written + [f'{stem}.png']
    return written
