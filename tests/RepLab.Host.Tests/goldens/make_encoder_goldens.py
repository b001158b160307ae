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
for case, (c, side, width) in {"dcgan28": (1, 28, 8), "dcgan32rgb": (3, 32, 4), "dcgan64": (1, 64, 2)}.items():
    m = dcgan_discriminator(c, side, width)
    randomize(m, g)
    x = torch.rand(2, c, side, side, generator=g)
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


class BasicBlock(nn.Module):
    """He et al. 2016, torchvision's layout: conv1/bn1/conv2/bn2 and a downsample (1x1 conv + BN) shortcut."""

    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or cin != planes:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18Cifar(nn.Module):
    """The CIFAR variant: 3x3 stride-1 stem, no max-pool, layers of 2 blocks, global average pooling."""

    def __init__(self, channels, width):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        cin = width
        for i, stride in enumerate((1, 2, 2, 2), start=1):
            planes = width * 2 ** (i - 1)
            setattr(self, f"layer{i}", nn.Sequential(BasicBlock(cin, planes, stride), BasicBlock(planes, planes, 1)))
            cin = planes

    def maps(self, x):
        out = [F.relu(self.bn1(self.conv1(x)))]
        for i in range(1, 5):
            out.append(getattr(self, f"layer{i}")(out[-1]))
        return out


for case, (c, side, width) in {"resnet18": (3, 32, 4)}.items():
    m = ResNet18Cifar(c, width)
    randomize(m, g)
    x = torch.rand(2, c, side, side, generator=g)
    for k, t in m.state_dict().items():
        out[f"{case}.state.{k}"] = t.clone()
    out[f"{case}.input"] = x
    for mode in ("eval", "train"):
        m.train(mode == "train")
        with torch.no_grad():
            maps = m.maps(x)
            out[f"{case}.{mode}.features"] = maps[-1].mean((2, 3))
            for i, t in enumerate(maps):
                out[f"{case}.{mode}.map{i}"] = t
    for k, t in m.state_dict().items():
        if "running" in k:
            out[f"{case}.after-train.{k}"] = t.clone()

writer.save("encoders.safetensors", out, {"torch": torch.__version__})
