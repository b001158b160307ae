"""SimCLR's two views of 32x32 RGB images with torchvision, per image, through a DataLoader.

The same transforms as bench/RepLab.Bench/Pipeline.cs (crop 8-100%, flip, colour jitter
0.4/0.4/0.4/0.1 with p 0.8, grayscale p 0.2, to tensor), the usual way: PIL images in a
Dataset, a DataLoader with worker processes, batch 512.

    /usr/bin/python3 bench/pipeline_torchvision.py [--workers 2] [--batch 512] [--batches 20] [--warmup 2]

Prints: pipeline=simclr img_per_s=<source images per second, two views each>
"""
import argparse
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms as T


class TwoViews(Dataset):
    def __init__(self, images, transform):
        self.images, self.transform = images, transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = Image.fromarray(self.images[i])
        return self.transform(img), self.transform(img)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--batches", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    n = a.batch * (a.batches + a.warmup)
    images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    view = T.Compose([
        T.RandomResizedCrop(32, scale=(0.08, 1.0)),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.ToTensor(),
    ])
    loader = DataLoader(TwoViews(images, view), batch_size=a.batch, shuffle=True, num_workers=a.workers,
                        drop_last=True, persistent_workers=a.workers > 0)
    it = iter(loader)
    for _ in range(a.warmup):
        next(it)
    start = time.perf_counter()
    for _ in range(a.batches):
        next(it)
    elapsed = time.perf_counter() - start
    print(f"pipeline=simclr img_per_s={a.batch * a.batches / elapsed:.1f}")


if __name__ == "__main__":
    main()
