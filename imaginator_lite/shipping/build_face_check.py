"""Maintainer tool: convert MTCNN's output network (ONet) from the facenet-pytorch wheel to safetensors, once.

    pip download facenet-pytorch==2.6.0 --no-deps -d /tmp/fnp
    python -m zipfile -e /tmp/fnp/facenet_pytorch-2.6.0-py3-none-any.whl /tmp/fnp/x
    python -m imaginator_lite.shipping.build_face_check /tmp/fnp/x/facenet_pytorch/data/onet.pt

It writes mtcnn_onet.safetensors and its card mtcnn_onet.json here (the weights of
data.importers.face_check.ONet). facenet-pytorch is MIT-licensed (MTCNN_LICENSE.txt); the network is
Zhang et al. 2016's MTCNN. Two changes of layout, no change of numbers:
- the three heads get names (dense6_1 -> face, dense6_2 -> box, dense6_3 -> landmarks);
- dense5's 1152 input columns are reordered from facenet-pytorch's (width, height, channel) flatten (its
  `permute(0, 3, 2, 1)` before the dense layer, a relic of the Caffe/TensorFlow originals) to PyTorch's plain
  (channel, height, width) flatten, so face_check.ONet needs no permute.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from ..atomic import atomic_path, sha256_of, write_json
from ..pretrained import HERE

STEM = "mtcnn_onet"
#: the wheel the weights come from, and its sha256 (as PyPI lists it; pip checks it on download)
WHEEL = "facenet_pytorch-2.6.0-py3-none-any.whl"
WHEEL_SHA256 = "ecb82b27beb226d106f2219efe8f829b01b87a8595badd01545679bdb9f19cca"
#: facenet-pytorch's key -> ours (the rest keep their names: conv1..conv4, prelu1..prelu5, dense5)
RENAMED = {"dense6_1": "face", "dense6_2": "box", "dense6_3": "landmarks"}
#: conv4's output (channels, height, width) that dense5 reads
CONV4_OUT = (128, 3, 3)


def convert_state_dict(original: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """facenet-pytorch's ONet state dict -> face_check.ONet's (heads renamed, dense5 columns in C, H, W order)."""
    out = {}
    for key, value in original.items():
        layer, _, kind = key.partition(".")
        out[f"{RENAMED.get(layer, layer)}.{kind}"] = value.detach().to(torch.float32).contiguous()
    c, h, w = CONV4_OUT
    # facenet-pytorch flattens (N, W, H, C): column w*H*C + h*C + c; ours flattens (N, C, H, W): c*H*W + h*W + w
    dense = out["dense5.weight"]
    out["dense5.weight"] = dense.reshape(dense.shape[0], w, h, c).permute(0, 3, 2, 1).reshape(dense.shape[0], -1)
    out["dense5.weight"] = out["dense5.weight"].contiguous()
    return out


def build_face_check(onet_pt: str | Path) -> dict[str, Any]:
    """Convert `onet_pt` (facenet_pytorch/data/onet.pt) to HERE/mtcnn_onet.safetensors and write its card."""

    onet_pt = Path(onet_pt)
    tensors = convert_state_dict(torch.load(onet_pt, map_location="cpu", weights_only=True))
    path = HERE / f"{STEM}.safetensors"
    with atomic_path(path) as tmp:
        save_file(tensors, tmp, metadata={"source": f"{WHEEL}:facenet_pytorch/data/onet.pt"})
    card = {
        "name": "MTCNN ONet (output network): face / not-face probability of a 48x48 crop",
        "paper": "K. Zhang, Z. Zhang, Z. Li, Y. Qiao, Joint Face Detection and Alignment using Multitask Cascaded "
                 "Convolutional Networks, IEEE Signal Processing Letters 23(10), 2016",
        "source": {"package": "facenet-pytorch", "version": "2.6.0", "wheel": WHEEL, "wheel_sha256": WHEEL_SHA256,
                   "file": "facenet_pytorch/data/onet.pt", "file_sha256": sha256_of(onet_pt)},
        "license": "MIT (facenet-pytorch, Copyright (c) 2019 Timothy Esler): MTCNN_LICENSE.txt",
        "command": f"python -m imaginator_lite.shipping.build_face_check {onet_pt.name}",
        "input": {"size": [48, 48], "layout": "(N, 3, 48, 48) RGB, rows = image rows (not transposed)",
                  "resize": "square crop (zero padding outside the image), torch interpolate mode='area'",
                  "normalisation": "(pixel - 127.5) * 0.0078125"},
        "outputs": {"box": "(N, 4) box regression", "landmarks": "(N, 10) five x then five y, in [0, 1] of the crop",
                    "probability": "(N,) softmax of the face logit"},
        "changes": {"renamed": RENAMED, "dense5.weight": "columns reordered from (W, H, C) to (C, H, W) flatten"},
        "tensors": {k: list(v.shape) for k, v in tensors.items()},
        "sha256": sha256_of(path), "bytes": path.stat().st_size,
    }
    write_json(HERE / f"{STEM}.json", card)
    return card


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m imaginator_lite.shipping.build_face_check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("onet_pt", help="facenet_pytorch/data/onet.pt from the facenet-pytorch 2.6.0 wheel")
    args = p.parse_args(argv)
    card = build_face_check(args.onet_pt)
    print(f"wrote {STEM}.safetensors ({card['bytes']:,} bytes) and its card")
    return 0


if __name__ == "__main__":
    sys.exit(main())
