"""Device and precision choice in one place: device 'auto' means CUDA when available, else CPU; precision
'auto' means bf16 where it is native, else fp32 (no CUDA call at import)."""
from __future__ import annotations

import os
import time
import warnings

import torch


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn 'auto' / 'cpu' / 'cuda' / 'cuda:1' / a torch.device into a torch.device.

    Raises ValueError when CUDA is asked for but not available.
    """
    if isinstance(device, torch.device):
        dev = device
    else:
        name = str(device).strip().lower()
        if name == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {str(device)!r} requested but CUDA is not available; use device='cpu' or 'auto'"
        )
    return dev


#: oneDNN ISA caps (ONEDNN_MAX_CPU_ISA) below the first one with bf16 instructions.
_ONEDNN_ISAS_WITHOUT_BF16 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI")


def cpu_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX), as PyTorch is allowed to use it.

    Honours ATEN_CPU_CAPABILITY and ONEDNN_MAX_CPU_ISA, so an AVX-512 machine told to behave
    like an AVX2 one (the usual way to test the other CPU class) answers False.
    """

    if not torch.backends.cpu.get_cpu_capability().upper().startswith("AVX512"):
        return False
    if os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper() in _ONEDNN_ISAS_WITHOUT_BF16:
        return False
    cpu = torch.cpu
    return bool(getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
                or getattr(cpu, "_is_amx_tile_supported", lambda: False)())


def native_bf16(device: torch.device) -> bool:
    """bf16 without emulation: a CUDA device that supports it, or a CPU with AVX512-BF16 / AMX."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and cpu_native_bf16()


def resolve_precision(precision: str, device: torch.device) -> str:
    """'auto' -> 'bf16' where bf16 is native (CUDA, AVX512-BF16/AMX CPUs), else 'fp32'; others unchanged.

    An explicit 'bf16' on a CPU without native bf16 is kept but warns once with the slowdown
    measured here (emulated bf16 runs one to two orders of magnitude slower than fp32).
    """
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    if precision == "bf16" and device.type == "cpu" and not cpu_native_bf16():
        _warn_emulated_bf16()
    return precision


_warned_bf16 = False


def _warn_emulated_bf16() -> None:
    global _warned_bf16
    if _warned_bf16:
        return
    _warned_bf16 = True
    fp32, bf16 = matmul_gflops(torch.float32, repeats=5), matmul_gflops(torch.bfloat16)
    warnings.warn(
        f"precision='bf16' on a CPU without native bf16 ({torch.backends.cpu.get_cpu_capability()}, no AVX512-BF16 "
        f"or AMX): PyTorch emulates it, and a matmul ran {fp32 / bf16:.0f}x slower than fp32 here "
        f"({bf16:.2f} vs {fp32:.1f} GFLOP/s). Use precision='auto' (fp32 on this CPU) or 'fp32'.",
        RuntimeWarning, stacklevel=3)


def matmul_gflops(dtype: torch.dtype, n: int = 256, device: str | torch.device = "cpu", repeats: int = 1) -> float:
    """Achieved GFLOP/s of an n x n matmul in `dtype`: the best of `repeats` calls after one warm-up."""

    a = torch.randn(n, n, device=device).to(dtype)
    torch.mm(a, a)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        torch.mm(a, a)
        best = min(best, time.perf_counter() - started)
    return 2 * n ** 3 / max(best, 1e-9) / 1e9
