"""The engine benchmark's PyTorch side: the same models, steps and timing protocol as
bench/RepLab.Bench (DCGAN 28x28, CIFAR ResNet-18 and SimCLR training steps on fixed synthetic inputs,
and every method's step from bench/method_steps.py). Runs on PyTorch 1.13 and 2.6 alike.

    /usr/bin/python3 bench/engine_pytorch.py --model dcgan|resnet18|simclr [--threads 2] [--batch 128] [--steps S] [--warmup 3]
    /usr/bin/python3 bench/engine_pytorch.py --method NAME [--batch B] [--steps 10] ...   (NAME: a key of method_steps.STEPS)
    /usr/bin/python3 bench/engine_pytorch.py --norm [--threads 2] [--batch 512] [--reps 20]
    ... --profile N   also run the timed steps under torch.profiler and print its top N operators to stderr

Prints one line per model or method: model|method=<name> steps_per_s=<value> cpu_s_per_step=<value> first_loss=<value>
(process CPU seconds per step, all threads; first_loss matches our engine's: same seeded weights).
Idiomatic PyTorch 1.13: nn.Module models, torch.optim, zero_grad(set_to_none=True) (what our
engine's zero_grad does, and PyTorch 2's default).
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def dcgan_generator(z=100):
    return nn.Sequential(
        nn.ConvTranspose2d(z, 256, 7, 1, 0, bias=False), nn.BatchNorm2d(256), nn.ReLU(),
        nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
        nn.ConvTranspose2d(128, 1, 4, 2, 1), nn.Tanh())


def dcgan_discriminator():
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Conv2d(128, 1, 7, 1, 0))


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = None
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


class ResNet18(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        blocks, in_planes = [], 64
        for planes, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            blocks += [BasicBlock(in_planes, planes, stride), BasicBlock(planes, planes, 1)]
            in_planes = planes
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        out = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(out, 1), 1))


PROFILE_ROWS = 0  # --profile N: the timed steps run under torch.profiler; its top N operators go to stderr


def time_steps(warmup, steps, step):
    first = step()
    for _ in range(warmup - 1):
        step()
    if PROFILE_ROWS:
        import sys
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            for _ in range(steps):
                step()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=PROFILE_ROWS), file=sys.stderr)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return steps / wall, cpu / steps, first


def dcgan(batch, warmup, steps):
    torch.manual_seed(0)
    g, d = dcgan_generator(), dcgan_discriminator()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch, 1, 28, 28) * 2 - 1
    z = torch.randn(batch, 100, 1, 1)
    ones, zeros = torch.ones(batch), torch.zeros(batch)

    def step():
        fake = g(z)
        # Discriminator: real images labelled 1, generated ones (detached) labelled 0.
        loss_d = (F.binary_cross_entropy_with_logits(d(real).view(-1), ones)
                  + F.binary_cross_entropy_with_logits(d(fake.detach()).view(-1), zeros))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # Generator: make the discriminator call its images real.
        loss_g = F.binary_cross_entropy_with_logits(d(fake).view(-1), ones)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        return loss_d.item()

    return time_steps(warmup, steps, step)


def resnet18(batch, warmup, steps):
    torch.manual_seed(0)
    model = ResNet18(10)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(batch, 3, 32, 32)
    y = torch.randint(0, 10, (batch,))

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    return time_steps(warmup, steps, step)


def conv_small(features=512):
    # RepLab's conv-small encoder: three strided convs with batch norm and LeakyReLU 0.2, then linear.
    return nn.Sequential(
        nn.Conv2d(1, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.LeakyReLU(0.2),
        nn.Conv2d(32, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 3, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(128 * 4 * 4, features))


def nt_xent(z1, z2, temperature):
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (z @ z.T / temperature).masked_fill(torch.eye(2 * n, dtype=torch.bool), -1e9)
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, targets)


def simclr(batch, warmup, steps):
    # The same step as RepLab.Bench's: two views as one batch, projection head, NT-Xent, SGD.
    torch.manual_seed(0)
    encoder = conv_small()
    head = nn.Sequential(nn.Linear(512, 512, bias=False), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, 128))
    opt = torch.optim.SGD(list(encoder.parameters()) + list(head.parameters()), lr=0.1, momentum=0.9, weight_decay=1e-6)
    view1, view2 = torch.rand(batch, 1, 28, 28), torch.rand(batch, 1, 28, 28)

    def step():
        z1, z2 = head(encoder(torch.cat([view1, view2]))).chunk(2)
        loss = nt_xent(z1, z2, 0.5)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    return time_steps(warmup, steps, step)


def norm_layers(batch, reps):
    # bench/RepLab.Bench/Norm.cs's layers: batch norm + activation, forward and backward, training mode.
    layers = [((batch, 32, 14, 14), "LeakyReLU"), ((batch, 64, 7, 7), "LeakyReLU"), ((batch, 128, 4, 4), "LeakyReLU"),
              ((batch, 512), "ReLU")]
    for shape, act in layers:
        torch.manual_seed(0)
        bn = nn.BatchNorm2d(shape[1]) if len(shape) == 4 else nn.BatchNorm1d(shape[1])
        f = (lambda y: F.leaky_relu(y, 0.2)) if act == "LeakyReLU" else F.relu
        x = torch.randn(shape, requires_grad=True)
        g = torch.randn(shape)
        times = []
        for i in range(reps + 3):
            t0 = time.perf_counter()
            f(bn(x)).backward(g)
            if i >= 3:
                times.append((time.perf_counter() - t0) * 1000)
            x.grad = None
        times.sort()
        print(f"norm={'x'.join(map(str, shape))}/{act} pytorch_ms={times[len(times) // 2]:.2f}", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", action="append", choices=["dcgan", "resnet18", "simclr"])
    p.add_argument("--method", action="append", help="a method's training step (bench/method_steps.py)")
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--batch", type=int)
    p.add_argument("--steps", type=int)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--version", action="store_true")
    p.add_argument("--norm", action="store_true")
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--profile", type=int, default=0, metavar="N",
                   help="run the timed steps once more under torch.profiler, before timing them, and print its top N operators to stderr")
    a = p.parse_args()
    global PROFILE_ROWS
    PROFILE_ROWS = a.profile
    a.batch_given, a.batch = a.batch, a.batch or 128
    if a.version:
        print(torch.__version__)
        return
    torch.set_num_threads(a.threads)
    if a.norm:
        norm_layers(a.batch, a.reps)
        return
    if a.method:
        import os
        import sys
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from method_steps import STEPS
        for name in a.method:
            if name not in STEPS:
                p.error(f"unknown method '{name}' ({', '.join(STEPS)})")
            default_batch, make = STEPS[name]
            rate, cpu, loss = time_steps(a.warmup, a.steps or 10, make(a.batch_given or default_batch))
            print(f"method={name} steps_per_s={rate:.3f} cpu_s_per_step={cpu:.3f} first_loss={loss:.4f}", flush=True)
        return
    for model in a.model or ["dcgan", "resnet18"]:
        steps = a.steps or (4 if model == "resnet18" else 20)
        rate, cpu, loss = {"dcgan": dcgan, "resnet18": resnet18, "simclr": simclr}[model](a.batch, a.warmup, steps)
        print(f"model={model} steps_per_s={rate:.3f} cpu_s_per_step={cpu:.3f} first_loss={loss:.4f}", flush=True)


if __name__ == "__main__":
    main()
