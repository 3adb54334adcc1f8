"""Device selection in one place: 'auto' means CUDA when available, else CPU (no CUDA call at import)."""
from __future__ import annotations

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
