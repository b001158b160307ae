#!/usr/bin/env python3
"""Per-step learning rates of PyTorch's schedulers for the plans the host's schedules are tested on.

Writes schedules_per_step.json beside this file: for each case, the lr each optimizer step used.
Run with Debian's python3-torch:  /usr/bin/python3 tests/RepLab.Host.Tests/goldens/make_schedule_goldens.py
Warm-up + cosine is PyTorch's LambdaLR with the linear warm-up / cosine lambda solo-learn and
MoCo v3 use; cosine and step are CosineAnnealingLR and StepLR stepped once per iteration.
"""
import json
import math
import os

import torch

LS = torch.optim.lr_scheduler


def run(lr, steps, make):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    sched = make(opt)
    used = []
    for _ in range(steps):
        used.append(opt.param_groups[0]["lr"])
        p.grad = torch.zeros(1)
        opt.step()
        sched.step()
    return used


def warmup_cosine(lr, min_lr, warmup, total, start_factor):
    def factor(s):
        if s < warmup:
            return start_factor + (1 - start_factor) * s / warmup
        t = min(s - warmup, total - warmup)
        return (min_lr + (lr - min_lr) * (1 + math.cos(math.pi * t / max(total - warmup, 1))) / 2) / lr
    return lambda o: LS.LambdaLR(o, factor)


cases = {}
# plan: epochs, steps per epoch, total steps, batch; options as the experiment would give them.
plan = {"epochs": 4, "steps_per_epoch": 5, "total_steps": 20, "batch_size": 512}
cases["warmup-cosine-linear-scaling"] = dict(plan=plan, options=dict(lr=0.3, lr_scaling="linear", schedule="warmup-cosine", warmup_epochs=1, warmup_start_factor=1e-3),
                                             lrs=run(0.6, 20, warmup_cosine(0.6, 0.0, 5, 20, 1e-3)))
cases["warmup-cosine-min-lr"] = dict(plan=plan, options=dict(lr=0.1, schedule="warmup-cosine", warmup_epochs=0.4, warmup_start_factor=0.1, min_lr=1e-3),
                                     lrs=run(0.1, 20, warmup_cosine(0.1, 1e-3, 2, 20, 0.1)))
cut = {"epochs": 4, "steps_per_epoch": 5, "total_steps": 14, "batch_size": 64}
cases["warmup-cosine-max-steps"] = dict(plan=cut, options=dict(lr=0.05, schedule="warmup-cosine", warmup_epochs=1),
                                        lrs=run(0.05, 14, warmup_cosine(0.05, 0.0, 5, 14, 1e-3)))
cases["cosine"] = dict(plan=plan, options=dict(lr=0.2, schedule="cosine", min_lr=0.01),
                       lrs=run(0.2, 20, lambda o: LS.CosineAnnealingLR(o, T_max=20, eta_min=0.01)))
cases["step"] = dict(plan=plan, options=dict(lr=0.1, schedule="step", step_epochs=2, gamma=0.5),
                     lrs=run(0.1, 20, lambda o: LS.StepLR(o, step_size=10, gamma=0.5)))
cases["constant-sqrt-scaling"] = dict(plan=plan, options=dict(lr=0.1, lr_scaling="sqrt"),
                                      lrs=run(0.1 * math.sqrt(2), 20, lambda o: LS.LambdaLR(o, lambda s: 1.0)))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schedules_per_step.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
print(f"wrote {out} ({len(cases)} cases, torch {torch.__version__})")
