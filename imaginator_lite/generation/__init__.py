"""Generation: one image + a label + a seed -> videos; pictures and files of videos; the widget UI."""
from .generate import generate, generate_at_resolution, identity_expression_grid, label_grid, save_generated
from .photos import load_image
from .viz import save_gif, save_video, video_grid

__all__ = ["generate", "generate_at_resolution", "identity_expression_grid", "label_grid", "save_generated", "load_image",
           "save_gif", "save_video", "video_grid"]
