"""WGAN-GP's critic loss in PyTorch (float64), for tests/oracle/gradient-penalty-oracle.test.ts.

Reads one JSON case on stdin: points a and b [B, D], real and fake scores [B, 1], epsilon [B],
lambda, weight, and the critic's layers (kernel [in, out], bias [out], activation). Writes the loss
    mean(fake) - mean(real) + lambda * mean_i (||grad_x D(x_hat_i)||_2 - 1)^2,  x_hat = eps a + (1 - eps) b,
(times weight) and its gradient with respect to every kernel and bias, the penalty's gradient taken
with torch.autograd.grad(create_graph=True) as in the authors' code, so that backward differentiates it again.
"""
import json
import sys

import torch
import torch.nn.functional as F

DT = torch.float64


def act(h, name):
    if name == 'linear':
        return h
    if name == 'relu':
        return F.relu(h)
    if name == 'leakyRelu':
        return F.leaky_relu(h, 0.2)
    if name == 'tanh':
        return torch.tanh(h)
    if name == 'sigmoid':
        return torch.sigmoid(h)
    if name == 'silu':
        return F.silu(h)
    if name == 'gelu':
        return F.gelu(h, approximate='tanh')
    raise ValueError(f'unknown activation {name}')


def main():
    case = json.load(sys.stdin)
    t = lambda v: torch.tensor(v, dtype=DT)
    a, b, real, fake = t(case['a']), t(case['b']), t(case['real']), t(case['fake'])
    eps = t(case['epsilon']).reshape(-1, *([1] * (a.dim() - 1)))
    params = []
    layers = []
    for layer in case['layers']:
        k = t(layer['kernel']).requires_grad_(True)
        bias = t(layer['bias']).requires_grad_(True)
        params += [k, bias]
        layers.append((k, bias, layer['activation']))

    def critic(x):
        h = x
        for k, bias, name in layers:
            h = act(h @ k + bias, name)
        return h

    x_hat = (eps * a + (1 - eps) * b).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    penalty = ((grad.reshape(grad.shape[0], -1).norm(2, dim=1) - 1) ** 2).mean()
    loss = case['weight'] * (fake.mean() - real.mean() + case['lambda'] * penalty)
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    out = {
        'loss': loss.item(),
        'penalty': penalty.item(),
        'grads': [(g if g is not None else torch.zeros_like(p)).reshape(-1).tolist() for g, p in zip(grads, params)],
    }
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
