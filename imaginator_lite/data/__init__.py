"""Data: synthetic faces and actions, the clip store, batching, and converters of real datasets."""
from .batching import BatchReader, EpochSampler, fetch_batch, iterate_batches, ordered_batches
from .store import ClipDataset, first_frame, load_meta, store_info, to_model_video
from .store_writer import StoreWriter
from .synthetic_sets import make_synthetic_store, render_clips

__all__ = ["BatchReader", "EpochSampler", "fetch_batch", "iterate_batches", "ordered_batches", "ClipDataset",
           "StoreWriter", "first_frame", "load_meta", "store_info", "to_model_video", "make_synthetic_store",
           "render_clips"]
