"""Data-parallel training over torch.distributed, launched by torchrun (never by a launcher of our own).

    torchrun --nproc_per_node 4 -m imaginator_lite.cli train --preset paper --batch-size 64 ...

`--batch-size` stays the global batch: every rank draws the same global batch from the run's one seeded
stream and keeps its own contiguous share (rank r of W: clips r*B/W .. (r+1)*B/W - 1), so a run depends
on its seed and not on its world size (up to the order of floating-point sums). The three networks are
wrapped in DistributedDataParallel (gradients averaged over ranks = the gradient of the global batch);
BatchNorm statistics are taken over the whole global batch (`SyncBatchNorm` on GPUs, `CrossRankBatchNorm`,
the same maths over gloo, on CPUs) unless `sync_batchnorm=False`. Only rank 0 writes anything.
"""
from __future__ import annotations

import contextlib
import os
import warnings
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
import torch.distributed as dist
from torch import nn

# the differentiable all_reduce below is the public one; its successor (_functional_collectives) is private
warnings.filterwarnings("ignore", message=r"torch\.distributed\.nn\.functional\.all_reduce is deprecated",
                        category=FutureWarning)

__all__ = ["RankInfo", "rank_info", "init_distributed", "finish_distributed", "check_global_batch", "check_same_device_type",
           "share_of", "CrossRankBatchNorm", "synchronise_batchnorm", "main_rank_first", "mean_over_ranks"]


@dataclass(frozen=True)
class RankInfo:
    """Where this process sits: its rank, the world size, its local rank (its GPU on a node)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that writes logs, pictures and checkpoints."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def rank_info() -> RankInfo:
    """This process's place: from the initialised process group, else from torchrun's environment, else
    a single process."""
    if dist.is_available() and dist.is_initialized():
        return RankInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))
    return RankInfo(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                    int(os.environ.get("LOCAL_RANK", 0)))


def init_distributed(device: torch.device) -> RankInfo:
    """Join torchrun's process group (gloo on CPU, nccl on CUDA) when WORLD_SIZE > 1; a no-op otherwise or
    when a group is already up. Returns this process's RankInfo."""
    info = rank_info()
    if info.distributed and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(info.local_rank)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank_info()


def finish_distributed() -> None:
    """Leave the process group (after the last collective), if one is up."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def check_global_batch(batch_size: int, info: RankInfo) -> int:
    """The per-rank share of a global batch; ValueError naming the fix when it does not split evenly."""
    if batch_size % info.world_size:
        lower = batch_size - batch_size % info.world_size
        options = " or ".join(str(b) for b in (lower, lower + info.world_size) if b > 0)
        raise ValueError(f"--batch-size {batch_size} is the global batch and does not split over {info.world_size} "
                         f"ranks: use a multiple of {info.world_size} (e.g. {options})")
    return batch_size // info.world_size


def check_same_device_type(device: torch.device, info: RankInfo) -> None:
    """ValueError before any work when the ranks of one run train on different device types."""
    if not info.distributed:
        return
    types: list[str | None] = [None] * info.world_size
    dist.all_gather_object(types, device.type)
    if len(set(types)) > 1:
        ranks = ", ".join(f"rank {r}: {t}" for r, t in enumerate(types))
        raise ValueError(f"the ranks of one run must use one device type ({ranks}); pass the same --device "
                         "to every rank (cuda with nccl, or cpu with gloo)")


def share_of(tensor: torch.Tensor, info: RankInfo) -> torch.Tensor:
    """This rank's contiguous share of a global batch (dim 0)."""
    if not info.distributed:
        return tensor
    size = tensor.shape[0] // info.world_size
    return tensor[info.rank * size:(info.rank + 1) * size]


def mean_over_ranks(values: torch.Tensor, info: RankInfo) -> torch.Tensor:
    """The mean of a tensor over ranks (one all-reduce): each rank's loss is the mean of its equal share,
    so this is the loss of the global batch."""
    if info.distributed:
        values = values.clone()
        dist.all_reduce(values)
        values /= info.world_size
    return values


@contextlib.contextmanager
def main_rank_first(info: RankInfo | None = None) -> Iterator[None]:
    """Rank 0 runs the block first (e.g. renders a shared store), the others after it finished."""
    info = info or rank_info()
    if info.distributed and dist.is_initialized() and not info.is_main:
        dist.barrier()
    yield
    if info.distributed and dist.is_initialized() and info.is_main:
        dist.barrier()


class CrossRankBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm whose training statistics are those of the global batch, all-reduced over the process group
    (differentiably, so gradients flow through the shared mean and variance as in one process). Works on any
    backend (gloo included); outside a process group or in eval mode it is plain BatchNorm.

    Under autocast it behaves as torch's BatchNorm does: a bf16/fp16 input is normalised in float32 (the
    statistics, their all-reduce and the running statistics stay float32) and the output has the input's
    dtype; a float32 input takes exactly the float32 path."""

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 3:
            raise ValueError(f"expected (N, C, ...) input, got shape {tuple(input.shape)}")

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(input)
        # deferred: torch.distributed.nn pulls in the RPC machinery, which only a multi-rank run needs
        from torch.distributed.nn.functional import all_reduce

        return self._normalise(input, all_reduce)

    def _normalise(self, input: torch.Tensor, reduce: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """Training-mode BatchNorm with statistics summed by `reduce` (the all-reduce; identity in one process)."""
        self._check_input_dim(input)
        low = input.dtype in (torch.float16, torch.bfloat16)
        x = input.float() if low else input  # half-precision inputs get float32 statistics, as in nn.BatchNorm
        dims = [0] + list(range(2, x.dim()))
        shape = [1, -1] + [1] * (x.dim() - 2)
        count = torch.tensor(float(x.numel() // x.shape[1]), device=x.device)
        total = reduce(count.detach().clone())
        mean = reduce(x.sum(dims)) / total                         # two passes: the mean, then the
        var = reduce(((x - mean.view(shape)) ** 2).sum(dims)) / total  # biased variance around it
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                momentum = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                unbiased = var * (total / (total - 1).clamp(min=1))
                self.running_mean.lerp_(mean.detach().to(self.running_mean.dtype), momentum)
                self.running_var.lerp_(unbiased.detach().to(self.running_var.dtype), momentum)
        out = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out.to(input.dtype) if low else out


def synchronise_batchnorm(module: nn.Module, device: torch.device) -> nn.Module:
    """Every BatchNorm of `module` with global-batch statistics: nn.SyncBatchNorm on CUDA, CrossRankBatchNorm
    elsewhere; parameters, buffers and state-dict keys unchanged (a checkpoint loads into plain BatchNorm)."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    for name, child in module.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm) and not isinstance(child, CrossRankBatchNorm):
            where = next(iter([*child.parameters(), *child.buffers()]), torch.empty(0)).device
            synced = CrossRankBatchNorm(child.num_features, child.eps, child.momentum, child.affine,
                                        child.track_running_stats).to(where)
            synced.load_state_dict(child.state_dict())
            synced.train(child.training)
            setattr(module, name, synced)
        else:
            synchronise_batchnorm(child, device)
    return module
