"""Converters from raw MUG / UvA-NEMO / NATOPS / Weizmann / class-folder downloads to clip stores."""
from .datasets import (
                       convert_folder,
                       convert_mug,
                       convert_natops,
                       convert_uva_nemo,
                       convert_weizmann,
                       read_natops_segments,
)
from .driver import ConversionSummary, ConvertOptions, SkipSource, SourceItem, run_conversion
from .video_io import VideoReadError, read_frame_folder, read_video

__all__ = [
    "convert_mug", "convert_uva_nemo", "convert_natops", "convert_weizmann", "convert_folder",
    "read_natops_segments", "ConvertOptions", "ConversionSummary", "SourceItem", "SkipSource", "run_conversion",
    "VideoReadError", "read_video", "read_frame_folder",
]
