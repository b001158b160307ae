"""Two views of RGB images with torchvision, per image, through a DataLoader.

The same transforms as bench/RepLab.Bench/Pipeline.cs, the usual way: PIL images in a Dataset,
a DataLoader with worker processes. simclr (default, 32x32): crop 8-100%, flip, colour jitter
0.4/0.4/0.4/0.1 with p 0.8, grayscale p 0.2, to tensor, twice. byol (e.g. --size 96): BYOL's
asymmetric pair, jitter 0.4/0.4/0.2/0.1, view 1 always blurred, view 2 blurred with p 0.1 and
solarized with p 0.2; blur kernel 10% of the side, made odd, sigma 0.1-2.

    /usr/bin/python3 bench/pipeline_torchvision.py [--pipeline simclr|byol] [--size 32] [--workers 2] [--batch 512] [--batches 20] [--warmup 2]

Prints: pipeline=<name> img_per_s=<source images per second, two views each>
"""
import argparse
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms as T


class TwoViews(Dataset):
    def __init__(self, images, first, second):
        self.images, self.first, self.second = images, first, second

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = Image.fromarray(self.images[i])
        return self.first(img), self.second(img)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pipeline", default="simclr", choices=["simclr", "byol"])
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--batches", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    n = a.batch * (a.batches + a.warmup)
    images = rng.integers(0, 256, size=(n, a.size, a.size, 3), dtype=np.uint8)
    crop = T.RandomResizedCrop(a.size, scale=(0.08, 1.0))
    if a.pipeline == "simclr":
        view = T.Compose([
            crop,
            T.RandomHorizontalFlip(),
            T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
            T.RandomGrayscale(p=0.2),
            T.ToTensor(),
        ])
        first = second = view
    else:
        # Our gaussian-blur: radius floor(0.1 * side) // 2, so the kernel is 2 * radius + 1.
        kernel = 2 * (int(0.1 * a.size) // 2) + 1
        blur = T.GaussianBlur(kernel, sigma=(0.1, 2.0))
        common = [crop, T.RandomHorizontalFlip(), T.RandomApply([T.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8), T.RandomGrayscale(p=0.2)]
        first = T.Compose(common + [blur, T.ToTensor()])
        second = T.Compose(common + [T.RandomApply([blur], p=0.1), T.RandomSolarize(128, p=0.2), T.ToTensor()])
    loader = DataLoader(TwoViews(images, first, second), batch_size=a.batch, shuffle=True, num_workers=a.workers,
                        drop_last=True, persistent_workers=a.workers > 0)
    it = iter(loader)
    for _ in range(a.warmup):
        next(it)
    start = time.perf_counter()
    for _ in range(a.batches):
        next(it)
    elapsed = time.perf_counter() - start
    print(f"pipeline={a.pipeline} img_per_s={a.batch * a.batches / elapsed:.1f}")


if __name__ == "__main__":
    main()
