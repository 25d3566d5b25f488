"""A PNG of the view rendered in Python, for `Viewer.save` (no browser needed).

The current image in its own pixel grid around the view centre, at the view's size and zoom,
normalised as astropy's `ImageNormalize(data, interval, stretch, clip=True)` over the whole
image (the browser's definition too), coloured by the matplotlib colormap, with the sky
circles drawn over it. Nearest-neighbour sampling: a quick look, not a resampling.
"""

from __future__ import annotations

import math

import numpy as np

BACKGROUND = (0, 0, 0)
CIRCLE_COLOR = (0, 255, 0)


def view_rgb(data, interval, stretch, colormap, center, fov, size):
    """(height, width, 3) uint8 of `data` seen at `center` (x, y pixels) with `fov` pixels on the
    shorter side of a view of `size` (width, height)."""
    try:
        from matplotlib import colormaps
    except ImportError:
        raise ImportError("Viewer.save renders with matplotlib's colormaps: pip install matplotlib") from None

    width, height = size
    zoom = min(width, height) / fov
    cx, cy = center
    xs = np.rint(cx + (np.arange(width) - (width - 1) / 2) / zoom).astype(np.int64)
    ys = np.rint(cy - (np.arange(height) - (height - 1) / 2) / zoom).astype(np.int64)
    ny, nx = data.shape
    inside = (ys[:, None] >= 0) & (ys[:, None] < ny) & (xs[None, :] >= 0) & (xs[None, :] < nx)
    values = np.full((height, width), np.nan)
    values[inside] = data[np.clip(ys, 0, ny - 1)[:, None], np.clip(xs, 0, nx - 1)[None, :]][inside]
    finite = data[np.isfinite(data)]
    vmin, vmax = interval.get_limits(finite) if finite.size else (0.0, 1.0)
    scaled = np.clip((values - vmin) / ((vmax - vmin) or 1.0), 0.0, 1.0)
    stretched = stretch(scaled, clip=True)
    lut = colormaps[colormap](np.arange(256), bytes=True)[:, :3]
    rgb = lut[np.clip(np.nan_to_num(stretched) * 255.999, 0, 255).astype(np.uint8)]
    rgb[~np.isfinite(values)] = BACKGROUND
    return rgb


def draw_circle(rgb, center, radius, view_center, zoom):
    """Outline a circle given in image pixels (centre (x, y), radius) on a view image."""
    height, width = rgb.shape[:2]
    sx = (width - 1) / 2 + (center[0] - view_center[0]) * zoom
    sy = (height - 1) / 2 - (center[1] - view_center[1]) * zoom
    r = radius * zoom
    angles = np.linspace(0, 2 * math.pi, max(64, int(8 * r)), endpoint=False)
    px = np.rint(sx + r * np.cos(angles)).astype(np.int64)
    py = np.rint(sy + r * np.sin(angles)).astype(np.int64)
    keep = (px >= 0) & (px < width) & (py >= 0) & (py < height)
    rgb[py[keep], px[keep]] = CIRCLE_COLOR


def write_image(path, rgb):
    from PIL import Image

    Image.fromarray(rgb).save(path)
