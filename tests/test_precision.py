"""precision='auto': bf16 only where it is native; an explicit bf16 on other CPUs warns once with the slowdown."""
from __future__ import annotations

import warnings

import pytest
import torch

import imaginator_lite.device as device
from imaginator_lite import ModelConfig, TrainConfig, Trainer
from imaginator_lite.device import cpu_native_bf16, resolve_precision

CPU = torch.device("cpu")


def test_auto_follows_native_bf16(monkeypatch):
    monkeypatch.setattr(device, "cpu_native_bf16", lambda: False)
    assert resolve_precision("auto", CPU) == "fp32"
    monkeypatch.setattr(device, "cpu_native_bf16", lambda: True)
    assert resolve_precision("auto", CPU) == "bf16"
    for explicit in ("fp32", "fp16"):
        assert resolve_precision(explicit, CPU) == explicit


def test_the_avx2_emulation_variables_mean_no_native_bf16(monkeypatch):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert cpu_native_bf16() is False
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    if not torch.backends.cpu.get_cpu_capability().startswith("AVX512"):  # e.g. ATEN_CPU_CAPABILITY=avx2
        assert cpu_native_bf16() is False


def test_explicit_bf16_without_native_support_warns_once_with_the_measured_slowdown(monkeypatch):
    monkeypatch.setattr(device, "cpu_native_bf16", lambda: False)
    monkeypatch.setattr(device, "_warned_bf16", False)
    with pytest.warns(RuntimeWarning, match=r"emulates it, and a matmul ran \d+x slower than fp32 here"):
        assert resolve_precision("bf16", CPU) == "bf16"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolve_precision("bf16", CPU)  # once per process


def test_the_trainer_resolves_auto_and_keeps_it_in_the_recipe(monkeypatch):
    monkeypatch.setattr(device, "cpu_native_bf16", lambda: False)
    assert TrainConfig().precision == "auto"
    trainer = Trainer(ModelConfig.preset("tiny"), TrainConfig(steps=1, batch_size=2, device="cpu", out_dir=None))
    assert trainer.precision == "fp32" and trainer.train_cfg.precision == "auto"
