"""The contrastive, self-distillation and pretext methods' steps (see method_steps.py): SimCLR, MoCo v2,
BYOL, RotNet and jigsaw as bench/RepLab.Bench/SelfSupervisedSteps.cs builds them from the plugins and
experiments/fashion-mnist/NAME.yaml: the same layers, created in the same order from seed 0 (so the
first losses agree), the same losses, optimizers (LARS as the engine's goldens write it), schedules and batches."""
import itertools
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from engine_pytorch import conv_small, nt_xent

# RepLab's LARS in PyTorch: the one the engine's optimizer goldens are made with.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "RepLab.Torch.Tests", "goldens"))
from make_goldens import LARS  # noqa: E402

TRAINING_IMAGES = 60000  # Fashion-MNIST; with trainer.drop-last an epoch is 60000 // batch steps


class Trainer:
    """One optimizer with its per-step schedule over the experiment's plan, as the host's
    OptimizerFactory makes it: the lr scaled by batch / 256 where the method says so, then
    cosine decay over the run, after a linear warm-up from 1e-3 x lr for warm-up schedules."""

    def __init__(self, modules, batch, epochs, lr, weight_decay, lars=False, scale_lr=False, warmup_epochs=None):
        params = [p for m in modules for p in m.parameters()]
        if scale_lr:
            lr *= batch / 256
        if lars:
            # SimCLR's and BYOL's exclusion: biases and norm parameters without weight decay or adaptation.
            self.opt = LARS([dict(params=[p for p in params if p.dim() > 1]),
                             dict(params=[p for p in params if p.dim() <= 1], weight_decay=0.0)],
                            lr, momentum=0.9, weight_decay=weight_decay)
        else:
            self.opt = torch.optim.SGD(params, lr, momentum=0.9, weight_decay=weight_decay)
        steps_per_epoch = TRAINING_IMAGES // batch
        total = epochs * steps_per_epoch
        warmup = 0 if warmup_epochs is None else min(round(warmup_epochs * steps_per_epoch), total)

        def factor(step):  # the lr at optimizer step `step`, as a fraction of the base lr
            if step < warmup:
                return 1e-3 + (1 - 1e-3) * step / warmup
            return (1 + math.cos(math.pi * min(step - warmup, total - warmup) / max(total - warmup, 1))) / 2

        self.schedule = torch.optim.lr_scheduler.LambdaLR(self.opt, factor)

    def minimize(self, loss):
        """One gradient step on `loss` (zero_grad, backward, step), then the schedule moves on; returns the loss."""
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.schedule.step()
        return loss.item()


def mlp_head(inputs, hidden, outputs, hidden_norm=True):
    """Common/Heads.cs MlpHead: linear (no bias before batch norm), [batch norm], ReLU, linear."""
    return nn.Sequential(nn.Linear(inputs, hidden, bias=not hidden_norm), *([nn.BatchNorm1d(hidden)] if hidden_norm else []),
                         nn.ReLU(), nn.Linear(hidden, outputs))


def frozen_copy(make, source):
    """A target network: built fresh (drawing its own random init, as the plugins' copies do), then
    given `source`'s weights and buffers, without gradients."""
    copy = make()
    copy.load_state_dict(source.state_dict())
    return copy.requires_grad_(False)


@torch.no_grad()
def ema_(target, online, tau):
    """RepLab.Blocks.MomentumTarget.Update: target = tau * target + (1 - tau) * online; buffers copied."""
    for t, o in zip(target.parameters(), online.parameters()):
        t.mul_(tau).add_(o, alpha=1 - tau)
    for t, o in zip(target.buffers(), online.buffers()):
        t.copy_(o)


def two_views(batch):
    return torch.rand(batch, 1, 28, 28), torch.rand(batch, 1, 28, 28)


def simclr(batch):
    # simclr.yaml: conv-small 512, projector 512 -> 512 (BN) -> 128, NT-Xent at T 0.5, LARS 0.3 x B/256, wd 1e-6.
    torch.manual_seed(0)
    encoder, projector = conv_small(512), mlp_head(512, 512, 128)
    trainer = Trainer([encoder, projector], batch, epochs=8, lr=0.3, weight_decay=1e-6, lars=True, scale_lr=True, warmup_epochs=1)
    view1, view2 = two_views(batch)

    def step():
        # Both views through the encoder as one batch of 2N (batch norm sees all), then NT-Xent.
        z1, z2 = projector(encoder(torch.cat([view1, view2]))).chunk(2)
        return trainer.minimize(nt_xent(z1, z2, 0.5))

    return step


def moco_v2(batch):
    # moco-v2.yaml: head 512 -> 512 -> 128 (no BN), key network with m 0.99, queue 4096, T 0.2; SGD 0.06 x B/256, wd 5e-4.
    torch.manual_seed(0)
    encoder, head = conv_small(512), mlp_head(512, 512, 128, hidden_norm=False)
    key_encoder = frozen_copy(lambda: conv_small(512), encoder)
    key_head = frozen_copy(lambda: mlp_head(512, 512, 128, hidden_norm=False), head)
    queue = F.normalize(torch.randn(4096, 128), dim=1)  # random unit keys to start
    trainer = Trainer([encoder, head], batch, epochs=8, lr=0.06, weight_decay=5e-4, scale_lr=True)
    view1, view2 = two_views(batch)
    pointer = 0

    def step():
        nonlocal pointer
        # The key network follows the query network first, then keys the second view (training-mode BN, no gradient).
        ema_(key_encoder, encoder, 0.99)
        ema_(key_head, head, 0.99)
        with torch.no_grad():
            k = F.normalize(key_head(key_encoder(view2)), dim=1)
        q = F.normalize(head(encoder(view1)), dim=1)
        # InfoNCE: the positive key is class 0, the queue's keys the negatives.
        logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.T], 1) / 0.2
        loss = trainer.minimize(F.cross_entropy(logits, torch.zeros(batch, dtype=torch.long)))
        # Enqueue the keys over the oldest ones.
        queue[(pointer + torch.arange(batch)) % len(queue)] = k
        pointer = (pointer + batch) % len(queue)
        return loss

    return step


def byol(batch):
    # byol.yaml: projector and predictor 512 -> 1024 (BN) -> 256, tau 0.99 -> 1 over the run; LARS 1.0 x B/256, wd 1e-5.
    torch.manual_seed(0)
    encoder, projector, predictor = conv_small(512), mlp_head(512, 1024, 256), mlp_head(256, 1024, 256)
    target_encoder = frozen_copy(lambda: conv_small(512), encoder)
    target_projector = frozen_copy(lambda: mlp_head(512, 1024, 256), projector)
    epochs = 5
    trainer = Trainer([encoder, projector, predictor], batch, epochs, lr=1.0, weight_decay=1e-5, lars=True, scale_lr=True, warmup_epochs=1)
    total = epochs * (TRAINING_IMAGES // batch)
    views = torch.cat(two_views(batch))
    steps = 0

    def regression(p, z):  # 2 - 2 cos(p, z), averaged over the batch
        return (2 - 2 * F.cosine_similarity(p, z, dim=1)).mean()

    def step():
        nonlocal steps
        # Both views through the online network as one batch, and through the target (training-mode BN, no gradient).
        p1, p2 = predictor(projector(encoder(views))).chunk(2)
        with torch.no_grad():
            z1, z2 = target_projector(target_encoder(views)).chunk(2)
        loss = trainer.minimize(regression(p1, z2) + regression(p2, z1))
        # The target follows at the rate of this step: tau = 1 - (1 - tau_base)(cos(pi k / K) + 1) / 2.
        tau = 1 - (1 - 0.99) * (math.cos(math.pi * min(steps, total) / total) + 1) / 2
        ema_(target_encoder, encoder, tau)
        ema_(target_projector, projector, tau)
        steps += 1
        return loss

    return step


def rotation(batch):
    # rotation.yaml: conv-small 512, a linear 4-way classifier, SGD 0.1 with wd 5e-4; the un-augmented batch.
    torch.manual_seed(0)
    encoder, classifier = conv_small(512), nn.Linear(512, 4)
    trainer = Trainer([encoder, classifier], batch, epochs=5, lr=0.1, weight_decay=5e-4)
    x = torch.rand(batch, 1, 28, 28)

    def step():
        # Every image in its four quarter turns, labelled by the turn.
        images = torch.cat([x.rot90(k, (2, 3)) for k in range(4)])
        labels = torch.arange(4).repeat_interleave(batch)
        return trainer.minimize(F.cross_entropy(classifier(encoder(images)), labels))

    return step


def maximal_hamming(count, first, n=9):
    """Jigsaw's permutation set (PermutationSet.MaximalHamming): starting from permutation `first` of the
    n! in lexicographic order, each next one is the one farthest (least Hamming distance to those
    chosen) from the set, the lowest-numbered on ties."""
    perms = torch.tensor(list(itertools.permutations(range(n))), dtype=torch.int8)
    chosen = [first]
    distance = torch.full((len(perms),), n + 1)
    while len(chosen) < count:
        distance = torch.minimum(distance, (perms != perms[chosen[-1]]).sum(1))
        chosen.append(int(distance.argmax()))
    return perms[chosen].long()


# The plugin's first permutation for permutation-seed 0, .NET's new Random(0).Next(9!): its first draw
# 1559595546 / (2^31 - 1) x 362880 (a constant of the task, not of PyTorch's generator).
JIGSAW_FIRST_PERMUTATION = 263539


def jigsaw(batch, permutations=100, features=256, fraction=64 / 75):
    # jigsaw.yaml: conv-small 256, 100 permutations, classifier 9 x 256 -> 512 (BN, dropout 0.5) -> 100, SGD 0.03, wd 5e-4.
    torch.manual_seed(0)
    table = maximal_hamming(permutations, JIGSAW_FIRST_PERMUTATION)
    encoder = conv_small(features)
    classifier = nn.Sequential(nn.Linear(9 * features, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, permutations))
    trainer = Trainer([encoder, classifier], batch, epochs=2, lr=0.03, weight_decay=5e-4)
    x = torch.rand(batch, 1, 28, 28)
    cell = 28 / 3
    tile = cell * fraction
    corners = torch.tensor([[c % 3 * cell, c // 3 * cell] for c in range(9)], dtype=torch.float64)  # cell c's (x, y)

    def step():
        # The tiles: in every cell of the 3x3 grid a tile at a random offset within the gap, resized to 28x28
        # (bilinear, edge pixels beyond the border) by grid_sample over each box's affine grid.
        offsets = torch.rand(9, batch, 2, dtype=torch.float64)
        boxes = (corners[:, None] + offsets * (cell - tile)).view(-1, 2)  # top-left corners, cell-major: row c * N + i
        theta = torch.zeros(9 * batch, 2, 3, dtype=torch.float64)
        theta[:, 0, 0] = theta[:, 1, 1] = tile / 28
        theta[:, :, 2] = (2 * boxes + tile) / 28 - 1
        grid = F.affine_grid(theta.float(), [9 * batch, 1, 28, 28], align_corners=False)
        tiles = F.grid_sample(x.repeat(9, 1, 1, 1), grid, padding_mode="border", align_corners=False)
        # A permutation per image; position j of puzzle i shows cell table[chosen[i], j], whose features are row cell * N + i.
        chosen = torch.randint(0, permutations, (batch,))
        rows = table[chosen] * batch + torch.arange(batch)[:, None]
        puzzles = encoder(tiles)[rows.flatten()].view(batch, 9 * features)
        return trainer.minimize(F.cross_entropy(classifier(puzzles), chosen))

    return step


STEPS = {
    "simclr": (256, simclr),
    "moco-v2": (256, moco_v2),
    "byol": (256, byol),
    "rotation": (128, rotation),
    "jigsaw": (64, jigsaw),
}
