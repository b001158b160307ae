#!/usr/bin/python3
"""PyTorch goldens for RepLab.Torch's tests.

Writes small safetensors files next to this script, made with Debian's python3-torch
(1.13, the same libtorch the binding is built against), single-threaded, float32 unless
stated. The C# tests in ../Goldens/*.cs load them, so running the tests needs no Python.

    /usr/bin/python3 tests/RepLab.Torch.Tests/goldens/make_goldens.py          # regenerate every golden
    /usr/bin/python3 tests/RepLab.Torch.Tests/goldens/make_goldens.py --check  # verify written_by_replab.safetensors

Files:
    layers.safetensors      every nn layer: state dict, input, output, loss weights, input and
                            parameter gradients of loss = (output * lossw).sum(), and the
                            buffers after the forward pass (BatchNorm running statistics)
    functional.safetensors  F ops and losses: inputs, output, loss weights, input gradients
    seed.safetensors        parameters of layers built after torch.manual_seed, random streams
    optim.safetensors       parameters after each of three steps of every optimizer, clip_grad_norm_
    schedules.safetensors   lr per epoch of StepLR, CosineAnnealingLR and warm-up + cosine
    interop.safetensors     several dtypes with metadata, checked value by value from C#

written_by_replab.safetensors is not made here: the C# test
SafetensorsInteropTests.Writer_output_matches_the_committed_file_python_verified writes the
same bytes (to update it on purpose, copy that test's ours.safetensors from the test output
directory, bin/Release/net10.0/, over it); `--check` parses it with the reader below (no safetensors package needed) and
verifies every header field and value.

The safetensors format is written and read by hand (Debian has no safetensors package):
an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}
plus an optional "__metadata__" {str: str}, padded with spaces to a multiple of 8, then
the raw little-endian bytes.
"""
import json
import math
import os
import struct
import sys
import warnings
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- safetensors by hand

DTYPES = {
    torch.float32: ("F32", np.float32), torch.float64: ("F64", np.float64), torch.float16: ("F16", np.float16),
    torch.bfloat16: ("BF16", np.int16), torch.int64: ("I64", np.int64), torch.int32: ("I32", np.int32),
    torch.int16: ("I16", np.int16), torch.int8: ("I8", np.int8), torch.uint8: ("U8", np.uint8), torch.bool: ("BOOL", np.bool_),
}
BY_NAME = {name: (dt, npdt) for dt, (name, npdt) in DTYPES.items()}


def to_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def save(name, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for key in sorted(tensors):
        t = tensors[key]
        b = to_bytes(t)
        header[key] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    js = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    js += b" " * (-len(js) % 8)
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)
    print(f"{name}: {len(tensors)} tensors, {os.path.getsize(path)} bytes")


def load(path):
    """Reads a safetensors file strictly; returns (tensors, metadata, raw header dict, header length)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert 8 + n <= len(data), "header length exceeds the file"
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    tensors, end = {}, 0
    for key, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        dt, npdt = BY_NAME[info["dtype"]]
        b, e = info["data_offsets"]
        assert b == end, f"{key}: data not contiguous ({b} != {end})"
        end = e
        raw = data[8 + n + b:8 + n + e]
        count = math.prod(info["shape"])
        assert len(raw) == count * np.dtype(npdt).itemsize, f"{key}: size does not match shape"
        arr = np.frombuffer(raw, dtype=np.dtype(npdt).newbyteorder("<")).astype(npdt).reshape(info["shape"])
        t = torch.from_numpy(arr.copy())
        if dt == torch.bfloat16:
            t = t.view(torch.bfloat16)
        tensors[key] = t
    assert 8 + n + end == len(data), "trailing bytes after the last tensor"
    return tensors, metadata, header, n


# ---------------------------------------------------------------- helpers


def seed_for(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


# ---------------------------------------------------------------- a. layers


def layer_goldens():
    out, meta = {}, {}

    def case(name, make, x_shape, training=True, x_scale=1.0, randomize=False, x_fn=None):
        torch.manual_seed(seed_for(name))
        m = make()
        with torch.no_grad():
            if randomize:  # norm layers start at weight 1, bias 0: make the test see them
                for pn, p in m.named_parameters():
                    p.copy_(torch.randn_like(p) * 0.5 + (1.0 if pn.endswith("weight") else 0.0))
                for bn, b in m.named_buffers():
                    if bn.endswith("running_mean"):
                        b.copy_(torch.randn_like(b) * 0.3)
                    elif bn.endswith("running_var"):
                        b.copy_(torch.rand_like(b) + 0.5)
        m.train(training)
        for k, v in m.state_dict().items():
            out[f"{name}/param.{k}"] = v.clone()
        x = (x_fn() if x_fn else torch.randn(*x_shape) * x_scale).requires_grad_(True)
        y = m(x)
        w = torch.randn_like(y)
        (y * w).sum().backward()
        out[f"{name}/input"] = x.detach()
        out[f"{name}/output"] = y.detach()
        out[f"{name}/lossw"] = w
        out[f"{name}/grad.input"] = x.grad
        for k, p in m.named_parameters():
            out[f"{name}/grad.param.{k}"] = p.grad
        for k, b in m.named_buffers():
            out[f"{name}/after.{k}"] = b.detach().clone()
        meta[f"{name}.training"] = "1" if training else "0"

    case("linear", lambda: nn.Linear(5, 3), (4, 5))
    case("linear_nobias", lambda: nn.Linear(5, 3, bias=False), (2, 3, 5))
    case("conv2d", lambda: nn.Conv2d(3, 4, 3), (2, 3, 7, 7))
    case("conv2d_s2_p1", lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 7, 7))
    case("conv2d_groups", lambda: nn.Conv2d(4, 6, 3, padding=1, groups=2), (2, 4, 6, 6))
    case("conv2d_dilation_nobias", lambda: nn.Conv2d(3, 4, 3, dilation=2, bias=False), (2, 3, 8, 8))
    case("conv2d_k4_s2_p1", lambda: nn.Conv2d(2, 3, 4, stride=2, padding=1), (2, 2, 8, 8))
    case("convT_k4_s2_p1", lambda: nn.ConvTranspose2d(4, 3, 4, stride=2, padding=1), (2, 4, 5, 5))
    case("convT_k3_s2_p1_op1", lambda: nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1), (2, 4, 5, 5))
    case("convT_k3_s2_p1_op0", lambda: nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1), (2, 4, 5, 5))
    case("convT_groups_op1", lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 4, 4))
    case("convT_s1_nobias", lambda: nn.ConvTranspose2d(3, 2, 3, bias=False), (2, 3, 4, 4))
    case("convT_dilation2_op1", lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=2, output_padding=1, dilation=2), (2, 3, 4, 4))
    case("bn1d_train", lambda: nn.BatchNorm1d(3), (6, 3), randomize=True)
    case("bn1d_train_3d", lambda: nn.BatchNorm1d(3), (4, 3, 5), randomize=True)
    case("bn1d_eval", lambda: nn.BatchNorm1d(3), (6, 3), training=False, randomize=True)
    case("bn2d_train", lambda: nn.BatchNorm2d(4), (3, 4, 5, 5), randomize=True)
    case("bn2d_train_m03", lambda: nn.BatchNorm2d(4, eps=1e-3, momentum=0.3), (3, 4, 5, 5), randomize=True)
    case("bn2d_eval", lambda: nn.BatchNorm2d(4), (3, 4, 5, 5), training=False, randomize=True)
    case("groupnorm", lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3), randomize=True)
    case("groupnorm_eps", lambda: nn.GroupNorm(3, 6, eps=1e-3), (2, 6, 2, 3), randomize=True)
    case("layernorm", lambda: nn.LayerNorm([3, 4]), (2, 5, 3, 4), randomize=True)
    case("layernorm_1d", lambda: nn.LayerNorm(6), (4, 6), randomize=True)
    case("dropout_eval", lambda: nn.Dropout(0.5), (4, 6), training=False)
    case("dropout2d_eval", lambda: nn.Dropout2d(0.5), (2, 3, 4, 4), training=False)
    case("relu", lambda: nn.ReLU(), (4, 7))
    case("leaky_relu", lambda: nn.LeakyReLU(0.2), (4, 7))
    case("elu", lambda: nn.ELU(alpha=0.7), (4, 7))
    case("gelu", lambda: nn.GELU(), (4, 7), x_scale=2.0)
    case("gelu_tanh", lambda: nn.GELU(approximate="tanh"), (4, 7), x_scale=2.0)
    case("silu", lambda: nn.SiLU(), (4, 7), x_scale=2.0)
    case("tanh", lambda: nn.Tanh(), (4, 7))
    case("sigmoid", lambda: nn.Sigmoid(), (4, 7))
    case("softplus", lambda: nn.Softplus(), (4, 7), x_scale=3.0)
    case("softplus_beta2_thr3", lambda: nn.Softplus(beta=2, threshold=3), (4, 7), x_scale=3.0)
    case("softmax_dim1", lambda: nn.Softmax(dim=1), (3, 5))
    case("softmax_dim_last", lambda: nn.Softmax(dim=-1), (2, 3, 4), x_scale=3.0)
    case("maxpool2d_k2", lambda: nn.MaxPool2d(2), (2, 3, 8, 8))
    case("maxpool2d_k3_s2_p1", lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 7))
    case("avgpool2d_k2", lambda: nn.AvgPool2d(2), (2, 3, 8, 8))
    case("avgpool2d_k3_s2_p1", lambda: nn.AvgPool2d(3, stride=2, padding=1), (2, 3, 7, 7))
    case("adaptive_avgpool2d_3", lambda: nn.AdaptiveAvgPool2d(3), (2, 3, 7, 8))
    case("adaptive_avgpool2d_1", lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 5))
    case("adaptive_maxpool2d_3", lambda: nn.AdaptiveMaxPool2d(3), (2, 3, 7, 8))
    case("flatten", lambda: nn.Flatten(), (2, 3, 4, 4))
    case("flatten_1_2", lambda: nn.Flatten(1, 2), (2, 3, 4, 5))
    case("unflatten", lambda: nn.Unflatten(1, (3, 4)), (2, 12, 5))
    case("identity", lambda: nn.Identity(), (3, 4))
    case("upsample_nearest_x2", lambda: nn.Upsample(scale_factor=2, mode="nearest"), (2, 3, 4, 5))
    case("upsample_bilinear_size", lambda: nn.Upsample(size=(7, 9), mode="bilinear"), (2, 3, 4, 5))
    case("upsample_bilinear_size_ac", lambda: nn.Upsample(size=(7, 9), mode="bilinear", align_corners=True), (2, 3, 4, 5))
    case("sequential", lambda: nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.LeakyReLU(0.2), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * 3 * 3, 5), nn.Tanh()), (2, 3, 6, 6))
    case("sequential_eval", lambda: nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5),
        nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1), nn.Sigmoid()), (2, 3, 4, 4), training=False, randomize=True)
    save("layers.safetensors", out, meta)


# ---------------------------------------------------------------- b. functional ops and losses


def functional_goldens():
    out, meta = {}, {}

    def case(name, fn, inputs, grad=()):
        """inputs: list of tensors; grad: indices of inputs whose gradient is recorded."""
        xs = [t.clone().requires_grad_(i in grad) for i, t in enumerate(inputs)]
        y = fn(*xs)
        for i, t in enumerate(xs):
            out[f"{name}/in{i}"] = t.detach()
        out[f"{name}/out"] = y.detach()
        meta[f"{name}.grad"] = ",".join(str(i) for i in grad)
        if grad:
            w = torch.randn_like(y)
            out[f"{name}/lossw"] = w
            (y * w).sum().backward()
            for i in grad:
                out[f"{name}/grad{i}"] = xs[i].grad

    def r(*s, scale=1.0):
        return torch.randn(*s) * scale

    torch.manual_seed(1234)
    x4 = r(2, 3, 4, 5)
    case("interp_nearest_size", lambda x: F.interpolate(x, size=(7, 3), mode="nearest"), [x4], (0,))
    case("interp_nearest_x2", lambda x: F.interpolate(x, scale_factor=2.0, mode="nearest"), [x4], (0,))
    case("interp_bilinear_x1.5", lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"), [x4], (0,))
    case("interp_bilinear_size", lambda x: F.interpolate(x, size=(3, 8), mode="bilinear"), [x4], (0,))
    case("interp_bilinear_size_ac", lambda x: F.interpolate(x, size=(6, 9), mode="bilinear", align_corners=True), [x4], (0,))
    case("interp_bicubic_size", lambda x: F.interpolate(x, size=(6, 9), mode="bicubic"), [x4], (0,))
    x9 = r(2, 3, 9, 11)
    case("interp_bilinear_aa_down", lambda x: F.interpolate(x, size=(4, 3), mode="bilinear", antialias=True), [x9], (0,))
    case("interp_bilinear_aa_x0.4", lambda x: F.interpolate(x, scale_factor=0.4, mode="bilinear", antialias=True), [x9], (0,))
    case("interp_bicubic_aa_down", lambda x: F.interpolate(x, size=(5, 4), mode="bicubic", antialias=True), [x9], (0,))
    case("interp_bilinear_aa_up", lambda x: F.interpolate(x, size=(12, 13), mode="bilinear", antialias=True), [x9], (0,))

    theta = torch.tensor([[[1.3, 0.2, 0.1], [-0.1, 1.2, -0.2]], [[0.8, -0.4, 0.3], [0.5, 1.4, 0.15]]]) + r(2, 2, 3, scale=0.05)
    case("affine_grid", lambda t: F.affine_grid(t, [2, 3, 5, 6], align_corners=False), [theta], (0,))
    case("affine_grid_ac", lambda t: F.affine_grid(t, [2, 3, 5, 6], align_corners=True), [theta], (0,))
    img = r(2, 3, 5, 6)
    grid = F.affine_grid(theta, [2, 3, 4, 7], align_corners=False).detach()  # reaches outside [-1, 1]
    for mode in ("bilinear", "nearest"):
        for pm in ("zeros", "border", "reflection"):
            for ac in (False, True):
                case(f"grid_sample_{mode}_{pm}_{'ac' if ac else 'noac'}",
                     lambda x, g, mode=mode, pm=pm, ac=ac: F.grid_sample(x, g, mode=mode, padding_mode=pm, align_corners=ac),
                     [img, grid], (0, 1))

    case("pad_constant", lambda x: F.pad(x, (1, 2, 0, 1), mode="constant", value=0.5), [x4], (0,))
    case("pad_reflect", lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect"), [x4], (0,))
    case("pad_replicate", lambda x: F.pad(x, (1, 1, 2, 0), mode="replicate"), [x4], (0,))
    x3 = r(2, 3, 6)
    case("pad_reflect_1d", lambda x: F.pad(x, (2, 3), mode="reflect"), [x3], (0,))
    case("pad_replicate_1d", lambda x: F.pad(x, (3, 1), mode="replicate"), [x3], (0,))
    case("pad_constant_1d", lambda x: F.pad(x, (0, 2), mode="constant", value=-1.0), [x3], (0,))

    a, b = r(4, 6), r(4, 6)
    case("normalize_p2_dim1", lambda x: F.normalize(x, p=2.0, dim=1), [a], (0,))
    case("normalize_p1_dimlast", lambda x: F.normalize(x, p=1.0, dim=-1), [x3], (0,))
    case("normalize_dim0", lambda x: F.normalize(x, dim=0), [a], (0,))
    case("cosine_similarity_dim1", lambda x, y: F.cosine_similarity(x, y, dim=1), [a, b], (0, 1))
    case("cosine_similarity_dim0", lambda x, y: F.cosine_similarity(x, y, dim=0), [a, b], (0, 1))
    case("log_softmax_dim1", lambda x: F.log_softmax(x, dim=1), [r(4, 6, scale=3.0)], (0,))
    case("log_softmax_dimlast", lambda x: F.log_softmax(x, dim=-1), [x3], (0,))
    case("softmax_dim0", lambda x: F.softmax(x, dim=0), [a], (0,))
    xa = r(5, 6, scale=3.0)
    case("mish", F.mish, [xa], (0,))
    case("hardswish", F.hardswish, [xa], (0,))
    case("hardtanh", lambda x: F.hardtanh(x, -0.5, 0.8), [xa], (0,))
    case("leaky_relu_default", F.leaky_relu, [xa], (0,))
    case("one_hot", lambda t: F.one_hot(t, 5), [torch.tensor([0, 3, 1, 4, 4, 2])])
    case("one_hot_infer", lambda t: F.one_hot(t), [torch.tensor([[0, 3], [1, 2]])])

    # losses
    p, t = r(4, 5), r(4, 5)
    case("mse_mean", lambda x, y: F.mse_loss(x, y), [p, t], (0, 1))
    case("mse_sum", lambda x, y: F.mse_loss(x, y, reduction="sum"), [p, t], (0,))
    case("mse_none", lambda x, y: F.mse_loss(x, y, reduction="none"), [p, t], (0,))
    case("l1_mean", lambda x, y: F.l1_loss(x, y), [p, t], (0, 1))
    case("l1_sum", lambda x, y: F.l1_loss(x, y, reduction="sum"), [p, t], (0,))
    case("smooth_l1_mean", lambda x, y: F.smooth_l1_loss(x, y), [p, t * 2], (0,))
    case("smooth_l1_beta0.5_sum", lambda x, y: F.smooth_l1_loss(x, y, reduction="sum", beta=0.5), [p, t], (0,))
    case("smooth_l1_none", lambda x, y: F.smooth_l1_loss(x, y, reduction="none"), [p, t * 2], (0,))
    probs = torch.sigmoid(r(4, 5, scale=2.0))
    tgt01 = torch.rand(4, 5)
    case("bce_mean", lambda x, y: F.binary_cross_entropy(x, y), [probs, tgt01], (0,))
    case("bce_weight_sum", lambda x, y, w: F.binary_cross_entropy(x, y, weight=w, reduction="sum"),
         [probs, (tgt01 > 0.5).float(), torch.rand(4, 5)], (0,))
    logits = r(4, 5, scale=2.0)
    case("bce_logits_mean", lambda x, y: F.binary_cross_entropy_with_logits(x, y), [logits, tgt01], (0, 1))
    case("bce_logits_pos_weight", lambda x, y, pw: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw),
         [logits, tgt01, torch.tensor([0.5, 1.0, 2.0, 3.0, 1.5])], (0,))
    case("bce_logits_weight_pos_weight_none", lambda x, y, w, pw: F.binary_cross_entropy_with_logits(
        x, y, weight=w, pos_weight=pw, reduction="none"), [logits, tgt01, torch.rand(5), torch.tensor([0.5, 1.0, 2.0, 3.0, 1.5])], (0,))
    cl = r(6, 5, scale=2.0)
    idx = torch.tensor([0, 4, 2, 2, 1, 3])
    ptgt = torch.softmax(r(6, 5), dim=1)
    case("cross_entropy", lambda x, y: F.cross_entropy(x, y), [cl, idx], (0,))
    case("cross_entropy_ls0.1", lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1), [cl, idx], (0,))
    case("cross_entropy_probs", lambda x, y: F.cross_entropy(x, y), [cl, ptgt], (0, 1))
    case("cross_entropy_probs_ls0.1", lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1), [cl, ptgt], (0,))
    case("cross_entropy_weight_ignore_sum", lambda x, y, w: F.cross_entropy(x, y, weight=w, ignore_index=2, reduction="sum"),
         [cl, idx, torch.tensor([1.0, 0.5, 2.0, 1.5, 0.25])], (0,))
    case("cross_entropy_weight_mean", lambda x, y, w: F.cross_entropy(x, y, weight=w),
         [cl, idx, torch.tensor([1.0, 0.5, 2.0, 1.5, 0.25])], (0,))
    case("cross_entropy_none", lambda x, y: F.cross_entropy(x, y, reduction="none"), [cl, idx], (0,))
    lp = F.log_softmax(cl, dim=1).detach()
    case("nll", lambda x, y: F.nll_loss(x, y), [lp, idx], (0,))
    case("nll_weight", lambda x, y, w: F.nll_loss(x, y, weight=w), [lp, idx, torch.tensor([1.0, 0.5, 2.0, 1.5, 0.25])], (0,))
    case("nll_ignore_sum", lambda x, y: F.nll_loss(x, y, ignore_index=4, reduction="sum"), [lp, idx], (0,))
    case("kl_div_batchmean", lambda x, y: F.kl_div(x, y, reduction="batchmean"), [lp, ptgt], (0, 1))
    case("kl_div_batchmean_log_target", lambda x, y: F.kl_div(x, y, reduction="batchmean", log_target=True),
         [lp, torch.log(ptgt)], (0, 1))
    case("kl_div_sum", lambda x, y: F.kl_div(x, y, reduction="sum"), [lp, ptgt], (0,))
    save("functional.safetensors", out, meta)


# ---------------------------------------------------------------- c. seeded init and random streams


def seed_goldens():
    out = {}
    torch.manual_seed(42)
    # Built in this order; nn.Sequential only names them ("0", "1", ...) and draws nothing.
    m = nn.Sequential(nn.Linear(6, 4), nn.Conv2d(3, 5, 3), nn.ConvTranspose2d(5, 2, 4, stride=2, padding=1),
                      nn.BatchNorm2d(5), nn.Linear(7, 3, bias=False), nn.Conv2d(4, 6, 3, groups=2))
    for k, v in m.state_dict().items():
        out[f"init/{k}"] = v.clone()

    torch.manual_seed(7)  # one stream, drawn from in this order
    out["stream/0_randn_3x5"] = torch.randn(3, 5)
    out["stream/1_randn_4x8"] = torch.randn(4, 8)  # 16 or more: libtorch's vectorised normal path
    out["stream/2_rand_4x4"] = torch.rand(4, 4)
    out["stream/3_randint_0_10_20"] = torch.randint(0, 10, (20,))
    out["stream/4_randperm_12"] = torch.randperm(12)
    out["stream/5_randn_f64_5"] = torch.randn(5, dtype=torch.float64)
    out["stream/6_rand_f64_6"] = torch.rand(6, dtype=torch.float64)
    out["stream/7_randint_m5_5_2x3"] = torch.randint(-5, 5, (2, 3))
    out["stream/8_randperm_100"] = torch.randperm(100)
    out["stream/9_randn_17"] = torch.randn(17)

    torch.manual_seed(3)
    out["fill/0_uniform_m2_3"] = torch.empty(3, 4).uniform_(-2, 3)
    out["fill/1_normal_1_0.5"] = torch.empty(20).normal_(1.0, 0.5)
    out["fill/2_bernoulli_0.3"] = torch.bernoulli(torch.full((10,), 0.3))
    out["fill/3_dropout_0.4"] = F.dropout(torch.ones(4, 6), 0.4, training=True)

    g = torch.Generator().manual_seed(11)
    out["gen/0_rand_5"] = torch.rand(5, generator=g)
    out["gen/1_randn_5"] = torch.randn(5, generator=g)
    save("seed.safetensors", out)


# ---------------------------------------------------------------- d. optimizers


class LARS(torch.optim.Optimizer):
    """LARS as RepLab's optim.LARS implements it (see its update in engine/RepLab.Torch/optim/Optimizer.cs):
    the SimCLR formulation (Chen et al., 2020; You et al., 2017). PyTorch has no LARS.
    Per parameter, with g = grad:
        unless (exclude_1d and p.dim() <= 1):
            g = g + weight_decay * p                         (when weight_decay != 0)
            lr = lr * (eta * ||p|| / ||g||)                  (when ||p|| > 0 and ||g|| > 0)
        buf = momentum * buf + lr * g                        (buf starts at zeros)
        p = p - buf
    Norms are read as Python floats (.item()), as the C# code does."""

    def __init__(self, params, lr, momentum=0.9, weight_decay=1e-6, eta=0.001, exclude_1d=True):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, eta=eta, exclude_1d=exclude_1d))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                lr = group["lr"]
                g = p.grad
                if not (group["exclude_1d"] and p.dim() <= 1):
                    if group["weight_decay"] != 0:
                        g = g.add(p, alpha=group["weight_decay"])
                    w_norm, g_norm = p.norm().item(), g.norm().item()
                    if w_norm > 0 and g_norm > 0:
                        lr *= group["eta"] * w_norm / g_norm
                st = self.state[p]
                if "momentum_buffer" not in st:
                    st["momentum_buffer"] = torch.zeros_like(p)
                buf = st["momentum_buffer"]
                buf.mul_(group["momentum"]).add_(g, alpha=lr)
                p.sub_(buf)


def optim_goldens():
    out, meta = {}, {}
    torch.manual_seed(99)
    shapes = [(3, 4), (4,), (2, 3, 2, 2)]
    init = [torch.randn(*s) for s in shapes]
    grads = [[torch.randn(*s) for s in shapes] for _ in range(3)]
    for i, t in enumerate(init):
        out[f"init.{i}"] = t
    for k, gs in enumerate(grads):
        for i, g in enumerate(gs):
            out[f"grad.step{k}.{i}"] = g

    def case(name, make):
        ps = [t.clone().requires_grad_(True) for t in init]
        opt = make(ps)
        for k in range(3):
            for p, g in zip(ps, grads[k]):
                p.grad = g.clone()
            opt.step()
            for i, p in enumerate(ps):
                out[f"{name}/step{k}.{i}"] = p.detach().clone()

    S, A, W = torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW
    case("sgd_plain", lambda ps: S(ps, lr=0.1))
    case("sgd_momentum_nesterov_wd", lambda ps: S(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2))
    case("sgd_momentum_dampening_wd", lambda ps: S(ps, lr=0.05, momentum=0.8, dampening=0.1, weight_decay=1e-3))
    case("adam", lambda ps: A(ps, lr=1e-2, foreach=False))
    case("adam_betas_eps", lambda ps: A(ps, lr=3e-2, betas=(0.5, 0.9), eps=1e-3, foreach=False))
    case("adam_amsgrad_wd", lambda ps: A(ps, lr=1e-2, amsgrad=True, weight_decay=1e-2, foreach=False))
    case("adamw", lambda ps: W(ps, lr=1e-2, weight_decay=0.1, foreach=False))
    case("adamw_amsgrad", lambda ps: W(ps, lr=1e-2, weight_decay=1e-2, amsgrad=True, foreach=False))
    case("lars", lambda ps: LARS(ps, lr=0.5, momentum=0.9, weight_decay=1e-4, eta=0.02))
    case("lars_no_exclude", lambda ps: LARS(ps, lr=0.5, momentum=0.9, weight_decay=1e-4, eta=0.02, exclude_1d=False))
    # Two groups: the second overrides lr (and, for SGD, weight decay); defaults fill the rest.
    case("sgd_groups", lambda ps: S([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.01, "weight_decay": 0.1}], lr=0.1, momentum=0.9))
    case("adam_groups", lambda ps: A([{"params": ps[:2]}, {"params": ps[2:], "lr": 1e-3}], lr=1e-2, foreach=False))
    case("lars_groups", lambda ps: LARS([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.05}], lr=0.5, eta=0.02, weight_decay=1e-4))

    for name, max_norm, norm_type in (("clip_0.5", 0.5, 2.0), ("clip_100", 100.0, 2.0), ("clip_l1_2", 2.0, 1.0)):
        ps = [t.clone().requires_grad_(True) for t in init]
        for p, g in zip(ps, grads[0]):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
        out[f"{name}/total_norm"] = total.detach().reshape(1)
        for i, p in enumerate(ps):
            out[f"{name}/grad.{i}"] = p.grad
    save("optim.safetensors", out, meta)


# ---------------------------------------------------------------- e. LR schedules


def schedule_goldens():
    out, meta = {}, {}
    epochs = 20

    def record(name, lrs, make):
        ps = [torch.zeros(1, requires_grad=True) for _ in lrs]
        opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, lrs)], lr=lrs[0])
        sched = make(opt)
        rows = []
        for _ in range(epochs):
            rows.append([g["lr"] for g in opt.param_groups])
            opt.step()
            sched.step()
        out[name] = torch.tensor(rows, dtype=torch.float64)  # [epoch, group]

    LS = torch.optim.lr_scheduler
    record("steplr", [0.1], lambda o: LS.StepLR(o, step_size=3, gamma=0.5))
    record("steplr_groups", [0.1, 0.02], lambda o: LS.StepLR(o, step_size=7, gamma=0.1))
    record("cosine", [0.1], lambda o: LS.CosineAnnealingLR(o, T_max=20))
    record("cosine_eta_min", [0.3, 0.05], lambda o: LS.CosineAnnealingLR(o, T_max=12, eta_min=1e-3))
    record("warmup_cosine", [0.4], lambda o: LS.SequentialLR(o, [LS.LinearLR(o, start_factor=1e-3, total_iters=5),
                                                                 LS.CosineAnnealingLR(o, T_max=20 - 5)], milestones=[5]))
    record("warmup_cosine_sf0.1", [0.4, 0.1], lambda o: LS.SequentialLR(o, [LS.LinearLR(o, start_factor=0.1, total_iters=3),
                                                                            LS.CosineAnnealingLR(o, T_max=20 - 3)], milestones=[3]))
    save("schedules.safetensors", out, meta)


# ---------------------------------------------------------------- f. safetensors interop

INTEROP_META = {"format": "pt", "source": "make_goldens.py", "unicode": "naïve café ✓", "empty": ""}


def interop_goldens():
    t = {
        "f32": torch.tensor([[0.0, -1.5, 3.25], [1e-8, -0.0, 123456.789]], dtype=torch.float32),
        "f64": torch.tensor([1.0 / 3.0, math.pi, -2.5e-300, 1e300, -0.0], dtype=torch.float64),
        "i64": torch.tensor([[0, -1], [2 ** 53 + 1, -(2 ** 62)], [9, 2 ** 63 - 1]], dtype=torch.int64),
        "u8": torch.tensor([0, 1, 127, 128, 254, 255], dtype=torch.uint8),
        "bf16": torch.tensor([1.5, -2.25, 3.140625, 0.0, -65536.0, 0.0078125], dtype=torch.bfloat16),
        "f16": torch.tensor([[0.5, 65504.0, 1.0009765625], [-(2.0 ** -14), 2.0 ** -24, -0.0]], dtype=torch.float16),
        "bool": torch.tensor([True, False, False, True, True], dtype=torch.bool),
        "i32": torch.tensor([-2147483648, 2147483647, 7], dtype=torch.int32),
        "scalar_f32": torch.tensor(2.5, dtype=torch.float32),
    }
    save("interop.safetensors", t, INTEROP_META)


# What SafetensorsInteropTests writes to written_by_replab.safetensors (see that test).
def replab_expected():
    a = torch.arange(12, dtype=torch.float32)
    return {
        "f32": (a / 4 - 1).reshape(3, 4),
        "f64": torch.arange(5, dtype=torch.float64) * 0.1,
        "i64": (torch.arange(6, dtype=torch.int64) - 3) * (1 << 40),
        "i32": torch.arange(4, dtype=torch.int32) * -7,
        "i16": torch.arange(3, dtype=torch.int16) * 1000,
        "i8": torch.arange(-2, 2, dtype=torch.int8),
        "u8": torch.arange(250, 256).to(torch.uint8).reshape(2, 3),
        "bf16": (torch.arange(4, dtype=torch.float32) * 0.5 - 1).to(torch.bfloat16),
        "f16": (torch.arange(4, dtype=torch.float32) * 0.25).to(torch.float16).reshape(2, 2),
        "bool": torch.arange(5) % 3 == 0,
        "nested.layer.weight": torch.ones(2, 1, 1, 1),
    }, {"writer": "RepLab.Torch", "note": "arange values, see make_goldens.py"}


def check():
    path = os.path.join(HERE, "written_by_replab.safetensors")
    tensors, meta, header, n = load(path)
    assert n % 8 == 0, f"header length {n} is not a multiple of 8"
    expected, expected_meta = replab_expected()
    assert meta == expected_meta, f"metadata {meta} != {expected_meta}"
    assert sorted(tensors) == sorted(expected), f"names {sorted(tensors)} != {sorted(expected)}"
    for k, e in expected.items():
        got = tensors[k]
        assert got.dtype == e.dtype, f"{k}: dtype {got.dtype} != {e.dtype}"
        assert list(got.shape) == list(e.shape), f"{k}: shape {list(got.shape)} != {list(e.shape)}"
        assert torch.equal(got, e), f"{k}: values {got} != {e}"
    # Our own goldens must read back exactly as written too.
    for name in ("layers", "functional", "seed", "optim", "schedules", "interop"):
        load(os.path.join(HERE, f"{name}.safetensors"))
    print(f"{path}: OK ({len(tensors)} tensors, metadata {meta})")


def main():
    if "--check" in sys.argv[1:]:
        check()
        return
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    warnings.simplefilter("ignore")
    layer_goldens()
    functional_goldens()
    seed_goldens()
    optim_goldens()
    schedule_goldens()
    interop_goldens()


if __name__ == "__main__":
    main()
