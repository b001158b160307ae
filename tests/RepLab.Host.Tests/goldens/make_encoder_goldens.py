#!/usr/bin/env python3
"""PyTorch goldens for the encoder plugins' forward passes: weights, inputs, every stage's map and the features.

Writes encoders.safetensors beside this file. Run with Debian's python3-torch:
  /usr/bin/python3 tests/RepLab.Host.Tests/goldens/make_encoder_goldens.py
The models are written here from the papers' descriptions in plain torch.nn, with the state-dict
layout RepLab's encoders use, so the C# side loads these weights and must produce the same numbers.
"""
import importlib.util
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("make_goldens", os.path.join(HERE, "..", "..", "RepLab.Torch.Tests", "goldens", "make_goldens.py"))
writer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(writer)
writer.HERE = HERE  # its safetensors writer, pointed at this folder


def dcgan_discriminator(channels, side, width):
    """Radford et al. 2016: 4x4 stride-2 convs without bias, BN after all but the first, LeakyReLU 0.2, until the side is <= 6."""
    blocks, cin, ch = [], channels, width
    while side > 6:
        layers = [nn.Conv2d(cin, ch, 4, 2, 1, bias=False)] + ([nn.BatchNorm2d(ch)] if blocks else []) + [nn.LeakyReLU(0.2)]
        blocks.append(nn.Sequential(*layers))
        cin, ch, side = ch, ch * 2, side // 2
    m = nn.Module()
    m.blocks = nn.Sequential(*blocks)
    return m


def randomize(m, g):
    with torch.no_grad():
        for name, t in m.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            else:
                t.copy_(torch.randn(t.shape, generator=g) * 0.2)


out = {}
g = torch.Generator().manual_seed(7)
for case, (c, side, width) in {"dcgan28": (1, 28, 8), "dcgan32rgb": (3, 32, 4), "dcgan64": (1, 64, 4)}.items():
    m = dcgan_discriminator(c, side, width)
    randomize(m, g)
    x = torch.rand(3, c, side, side, generator=g)
    for k, t in m.state_dict().items():
        out[f"{case}.state.{k}"] = t.clone()
    out[f"{case}.input"] = x
    for mode in ("eval", "train"):  # eval first: a train-mode pass moves the running statistics
        m.train(mode == "train")
        with torch.no_grad():
            maps, h = [], x
            for block in m.blocks:
                h = block(h)
                maps.append(h)
            out[f"{case}.{mode}.features"] = torch.cat([F.adaptive_max_pool2d(t, 4).flatten(1) for t in maps], 1)
            for i, t in enumerate(maps):
                out[f"{case}.{mode}.map{i}"] = t
    for k, t in m.state_dict().items():
        if "running" in k:
            out[f"{case}.after-train.{k}"] = t.clone()
writer.save("encoders.safetensors", out, {"torch": torch.__version__})
