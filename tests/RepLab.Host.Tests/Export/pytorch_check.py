"""Checks RepLab's encoder exports with the reference tools: onnx's checker and PyTorch.

Usage: pytorch_check.py FOLDER. Every subfolder of FOLDER is one case holding encoder.onnx, encoder.safetensors,
encoder.py and expected.safetensors (a batch of images and RepLab's features for it). Per case it runs
onnx.checker.check_model(full_check=True) on the model, builds the module from encoder.py, loads the weights
strictly, computes the features in eval mode and prints one JSON line: the case, its largest difference from
RepLab's features, or the error. Needs torch (Debian's 1.13 is enough) and onnx; safetensors is read here, since
the library is not packaged.
"""
import importlib.util
import json
import os
import struct
import sys
import traceback

import onnx
import torch

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
          "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}


def load_safetensors(path):
    """The tensors and the __metadata__ of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    base = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        raw = bytearray(data[base + begin:base + end])
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"])
    return tensors, header.get("__metadata__", {})


def check_onnx(path, expected_metadata):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == 8, model.ir_version
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)], model.opset_import
    assert [i.name for i in model.graph.input] == ["images"], model.graph.input
    assert [o.name for o in model.graph.output] == ["features"], model.graph.output
    metadata = {p.key: p.value for p in model.metadata_props}
    assert all(metadata.get(k) == v for k, v in expected_metadata.items()), metadata


def check_pytorch(folder, case, expected_metadata):
    spec = importlib.util.spec_from_file_location("encoder_" + case.replace("-", "_"), os.path.join(folder, "encoder.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build()
    state, metadata = load_safetensors(os.path.join(folder, "encoder.safetensors"))
    assert metadata.get("format") == "pt", metadata
    assert all(metadata.get(k) == v for k, v in expected_metadata.items()), metadata
    # The weights through the exported module's own reader (what its users call); the header through ours.
    loaded = module.load(os.path.join(folder, "encoder.safetensors"))
    assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], state[k]) for k in state), "encoder.load disagrees"
    model.load_state_dict(loaded, strict=True)
    model.eval()
    expected, _ = load_safetensors(os.path.join(folder, "expected.safetensors"))
    images, ours = expected["images"], expected["features"]
    assert tuple(images.shape[1:]) == module.INPUT_SHAPE and ours.shape[1] == module.FEATURES
    with torch.no_grad():
        features = model(images)
    assert features.shape == ours.shape, (features.shape, ours.shape)
    return (features - ours).abs().max().item()


def main(root, expected_metadata):
    for case in sorted(os.listdir(root)):
        folder = os.path.join(root, case)
        try:
            check_onnx(os.path.join(folder, "encoder.onnx"), expected_metadata)
            difference = check_pytorch(folder, case, expected_metadata)
            print(json.dumps({"case": case, "max_difference": difference}), flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported with its case
            print(json.dumps({"case": case, "error": traceback.format_exc()}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
