"""All-reduce throughput between processes over PyTorch's torch.distributed Gloo backend: the PyTorch side of
bench/distributed.sh, the same protocol as bench/RepLab.Bench/AllReduce.cs.

    /usr/bin/python3 bench/allreduce_pytorch.py --rank R --world 2 --port P [--host 127.0.0.1] [--sizes "1 10 100"]
                                                [--warmup 3] [--reps 20] [--threads 1]

Rank 0 hosts the TCP store at host:port; every rank joins one Gloo group. Per size (MB of 10^6 bytes,
float32): each rank fills its buffer with rank + 1 before every call (untimed), the ranks meet at a
barrier, then rank 0 times one in-place sum; warm-up calls first, then timed ones. Rank 0 prints
    allreduce_mb=<n> median_s=<seconds> gbps=<bytes / median / 10^9>   (algorithm bandwidth)
and fails when the sum is wrong.
"""
import argparse
import datetime
import statistics
import sys
import time

import torch
import torch.distributed as dist


def median_seconds(rank, world, mb, warmup, reps):
    buffer = torch.empty(mb * 250_000, dtype=torch.float32)
    times = []
    for i in range(warmup + reps):
        buffer.fill_(rank + 1)
        dist.barrier()
        start = time.perf_counter()
        dist.all_reduce(buffer)
        seconds = time.perf_counter() - start
        if i >= warmup:
            times.append(seconds)
    expected = world * (world + 1) / 2
    first, last = buffer[0].item(), buffer[-1].item()
    if first != expected or last != expected:
        sys.exit(f"allreduce of {mb} MB: expected {expected} in every element, got {first} and {last}")
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rank", type=int, required=True)
    p.add_argument("--world", type=int, default=2)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--sizes", default="1 10 100")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    timeout = datetime.timedelta(seconds=120)
    store = dist.TCPStore(a.host, a.port, a.world, a.rank == 0, timeout)
    dist.init_process_group("gloo", store=store, rank=a.rank, world_size=a.world, timeout=timeout)
    for mb in (int(s) for s in a.sizes.split()):
        median = median_seconds(a.rank, a.world, mb, a.warmup, a.reps)
        if a.rank == 0:
            print(f"allreduce_mb={mb} median_s={median:.6f} gbps={mb * 1e6 / median / 1e9:.3f}", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
