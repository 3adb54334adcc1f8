"""Input checks shared by the networks: each raises ValueError naming the problem and the fix."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def check_image(image: torch.Tensor, image_size: int, what: str = "image") -> None:
    """Require a (B, 3, image_size, image_size) float tensor."""
    if not torch.is_tensor(image) or image.dim() != 4 or image.shape[1] != 3:
        shape = tuple(image.shape) if torch.is_tensor(image) else type(image).__name__
        raise ValueError(f"{what} must be a (B, 3, H, W) tensor, got {shape}")
    if image.shape[2] != image_size or image.shape[3] != image_size:
        raise ValueError(
            f"{what} is {image.shape[2]}x{image.shape[3]} but this model expects {image_size}x{image_size}; "
            f"resize it (e.g. imaginator_lite.generation.photos.load_image(path, size={image_size})) or pick a matching preset"
        )


def check_video(video: torch.Tensor, frames: int, image_size: int) -> None:
    """Require a (B, 3, frames, image_size, image_size) tensor."""
    if not torch.is_tensor(video) or video.dim() != 5 or video.shape[1] != 3:
        shape = tuple(video.shape) if torch.is_tensor(video) else type(video).__name__
        raise ValueError(f"video must be a (B, 3, T, H, W) tensor, got {shape}")
    if video.shape[2] != frames:
        raise ValueError(
            f"video has {video.shape[2]} frames but this discriminator expects {frames}; "
            "crop or sample a window of the right length"
        )
    if video.shape[3] != image_size or video.shape[4] != image_size:
        raise ValueError(
            f"video frames are {video.shape[3]}x{video.shape[4]} but this model expects {image_size}x{image_size}"
        )


def check_noise(z: torch.Tensor, batch: int, dim_z: int) -> None:
    """Require z of shape (B, dim_z)."""
    if not torch.is_tensor(z) or z.dim() != 2 or z.shape[0] != batch or z.shape[1] != dim_z:
        shape = tuple(z.shape) if torch.is_tensor(z) else type(z).__name__
        raise ValueError(f"z must have shape ({batch}, {dim_z}) (batch, cfg.dim_z), got {shape}")


def label_to_onehot(label: torch.Tensor, batch: int, n_classes: int, dtype: torch.dtype,
                    device: torch.device) -> torch.Tensor:
    """Class indices (B,) or one-hot (B, n_classes) -> float one-hot (B, n_classes)."""
    if not torch.is_tensor(label):
        label = torch.as_tensor(label)
    if label.dim() == 1 and not label.is_floating_point():
        if label.shape[0] != batch:
            raise ValueError(f"label has {label.shape[0]} entries but the batch has {batch}")
        # range-checked where it costs nothing: a CPU tensor outside torch.compile (on a GPU the check would
        # wait for the device every step, and under compile it would break the graph; one_hot checks there)
        checkable = label.device.type == "cpu" and not torch.compiler.is_compiling()
        if checkable and len(label) and (int(label.min()) < 0 or int(label.max()) >= n_classes):
            raise ValueError(
                f"class index out of range: got {label.tolist()}, valid indices are 0..{n_classes - 1}"
            )
        return F.one_hot(label.to(device).long(), n_classes).to(dtype)
    if label.dim() == 2:
        if label.shape != (batch, n_classes):
            raise ValueError(f"one-hot label must have shape ({batch}, {n_classes}), got {tuple(label.shape)}")
        return label.to(device=device, dtype=dtype)
    raise ValueError(
        f"label must be class indices (B,) of an integer dtype or one-hot (B, {n_classes}); "
        f"got shape {tuple(label.shape)} dtype {label.dtype}"
    )
