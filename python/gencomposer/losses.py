"""
GenComposer's objective kinds: each module returns its scalar loss with the
node's weight already applied (model.py adds the losses of one objective).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .runtime import global_batch_synced, per_example_sum

__all__ = [
    'ReconstructionLoss',
    'NextTokenCrossEntropy',
    'ClassificationLoss',
    'KLDivergence',
    'AdversarialLoss',
    'FlowNLL',
    'DiffusionLoss',
    'gradient_norm_penalty',
]

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class ReconstructionLoss(nn.Module):
    """
    How far a reconstruction is from its target: binary cross-entropy (from
    logits, or from probabilities clipped to [1e-7, 1 - 1e-7]) or squared
    error. reduction 'sum' adds over each example's elements and averages
    over the batch (nats per example, the VAE's ELBO convention); 'mean'
    averages over every element.
    """

    def __init__(self, loss='bce', from_logits=True, reduction='sum', weight=1.0):
        super().__init__()
        self.loss = loss
        self.from_logits = from_logits
        self.reduction = reduction
        self.weight = weight

    def forward(self, prediction, target):
        if self.loss == 'mse':
            elementwise = F.mse_loss(prediction, target, reduction='none')
        elif self.from_logits:
            elementwise = F.binary_cross_entropy_with_logits(prediction, target, reduction='none')
        else:
            eps = 1e-7
            elementwise = F.binary_cross_entropy(prediction.clamp(eps, 1 - eps), target, reduction='none')
        reduced = per_example_sum(elementwise).mean() if self.reduction == 'sum' else elementwise.mean()
        return reduced * self.weight


class NextTokenCrossEntropy(nn.Module):
    """
    A language model's loss in nats per predicted token: the mean of
    -log p(target) over the positions of logits [B, T, V] (or a map of code
    scores [B, H, W, K]), leaving out positions whose target is ignore_index
    (-1 counts every position). A batch of ignored positions only gives 0.
    """

    def __init__(self, ignore_index=0, weight=1.0):
        super().__init__()
        self.ignore_index = ignore_index
        self.weight = weight

    def forward(self, logits, targets):
        flat_logits = logits.reshape(-1, logits.shape[-1])
        flat_targets = targets.reshape(-1).long()
        if self.ignore_index < 0:
            return F.cross_entropy(flat_logits, flat_targets) * self.weight
        nll = F.cross_entropy(flat_logits, flat_targets, ignore_index=self.ignore_index, reduction='none')
        counted = (flat_targets != self.ignore_index).sum()
        if global_batch_synced():
            # The mean over the global batch's tokens: DDP averages the ranks' losses, so each rank
            # divides its sum by the global count over the number of ranks.
            total = counted.clone()
            torch.distributed.all_reduce(total)
            return nll.sum() * torch.distributed.get_world_size() / total.clamp(min=1) * self.weight
        return nll.sum() / counted.clamp(min=1) * self.weight


class ClassificationLoss(nn.Module):
    """Softmax cross-entropy of class scores [B, K] against one label per example [B], averaged over the batch."""

    def __init__(self, weight=1.0):
        super().__init__()
        self.weight = weight

    def forward(self, logits, labels):
        return F.cross_entropy(logits, labels.long()) * self.weight


class KLDivergence(nn.Module):
    """
    The VAE's regulariser KL(N(mu, exp(logvar)) || N(0, I)) in closed form,
    summed over the latent and averaged over the batch. weight is a β-VAE's
    β; warmup_steps N raises it linearly from 0 (KL annealing): after t
    updates of the objective (ctx.step) the weight is β · min(1, t / N),
    and β outside training (no step).
    """

    def __init__(self, weight=1.0, warmup_steps=0):
        super().__init__()
        self.weight = weight
        self.warmup_steps = warmup_steps

    def current_weight(self, step):
        if self.warmup_steps == 0 or step is None:
            return self.weight
        return self.weight * min(1.0, step / self.warmup_steps)

    def forward(self, mu, logvar, ctx=None):
        kl = -0.5 * (1 + logvar - mu.square() - logvar.exp())
        return per_example_sum(kl).mean() * self.current_weight(ctx.step if ctx is not None else None)


def gradient_norm_penalty(gradient):
    """WGAN-GP's mean_i (‖g_i‖₂ - 1)², the norm over every axis but the batch's (1e-12 keeps √0 differentiable)."""
    norm = torch.sqrt(gradient.reshape(gradient.shape[0], -1).square().sum(dim=1) + 1e-12)
    return (norm - 1).square().mean()


class AdversarialLoss(nn.Module):
    """
    A GAN's loss from the discriminator's raw outputs, averaged over the batch:
      non-saturating  D: softplus(-d_real) + softplus(d_fake)   G: softplus(-d_fake)
      least-squares   D: ½(d_real - 1)² + ½ d_fake²              G: ½(d_fake - 1)²
      hinge           D: relu(1 - d_real) + relu(1 + d_fake)     G: -d_fake
      wasserstein     D: d_fake - d_real                         G: -d_fake
    gradient_penalty λ > 0 (discriminator side) adds λ · mean (‖∇D(x̂)‖₂ - 1)²;
    the caller passes ∇D(x̂), the gradient of interpolateScores with respect
    to interpolates taken with create_graph=True, as gradients['penalty'].
    """

    def __init__(self, side='discriminator', loss='non-saturating', gradient_penalty=0.0, weight=1.0):
        super().__init__()
        self.side = side
        self.loss = loss
        self.gradient_penalty = gradient_penalty
        self.weight = weight

    def discriminator_loss(self, real, fake):
        if self.loss == 'non-saturating':
            return F.softplus(-real).mean() + F.softplus(fake).mean()
        if self.loss == 'least-squares':
            return 0.5 * ((real - 1).square().mean() + fake.square().mean())
        if self.loss == 'hinge':
            return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
        return fake.mean() - real.mean()

    def generator_loss(self, fake):
        if self.loss == 'non-saturating':
            return F.softplus(-fake).mean()
        if self.loss == 'least-squares':
            return 0.5 * (fake - 1).square().mean()
        return -fake.mean()

    def forward(self, fake, real=None, interpolates=None, interpolateScores=None, gradients=None):
        # The generator's side ignores a connected real input: its loss does not depend on it.
        if self.side == 'generator':
            return self.generator_loss(fake) * self.weight
        loss = self.discriminator_loss(real, fake)
        if self.gradient_penalty > 0:
            if not gradients or 'penalty' not in gradients:
                raise ValueError('the gradient penalty needs gradients["penalty"], d interpolateScores / d interpolates')
            loss = loss + gradient_norm_penalty(gradients['penalty']) * self.gradient_penalty
        return loss * self.weight


class FlowNLL(nn.Module):
    """
    A flow's exact negative log-likelihood by the change of variables,
    -log p(x) = ½‖z‖² + ½ D log 2π - log|det J|, averaged over the batch
    (nats per example, or per dimension with per_dimension).
    """

    def __init__(self, per_dimension=False, weight=1.0):
        super().__init__()
        self.per_dimension = per_dimension
        self.weight = weight

    def forward(self, z, logdet):
        d = z[0].numel()
        nll = (0.5 * per_example_sum(z.square()) + d * HALF_LOG_2PI - logdet).mean()
        if self.per_dimension:
            nll = nll / d
        return nll * self.weight


class DiffusionLoss(nn.Module):
    """DDPM's simplified objective: mean squared error between the predicted and the added noise."""

    def __init__(self, weight=1.0):
        super().__init__()
        self.weight = weight

    def forward(self, prediction, noise):
        return F.mse_loss(prediction, noise) * self.weight
