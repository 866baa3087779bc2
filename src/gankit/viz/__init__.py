"""Pictures of runs: sample grids, scatter plots of 2D samples."""

from .grid import save_image_grid, save_samples_picture, save_scatter

__all__ = ["save_image_grid", "save_samples_picture", "save_scatter"]
