"""astropy's image display API (`astro_image_display_api.ImageViewerInterface`) on the Viewer.

Image labels are the stack's image names. Everything here is a view onto the Viewer's own
state (its traits), so what the API sets is what the browser shows and what a state file
saves: cuts, stretch and colormap are the image's display (the shared one while
`sync_stretch` is on); the viewport is the one view of the aligned stack, expressed in the
labelled image's terms.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path

from ..display import (
    check_colormap,
    interval_object,
    interval_spec,
    stretch_object,
    stretch_spec,
)

DEFAULT_LABEL = "default"  # the one label an image or catalog loaded without a label gets


class ImageDisplayAPI:
    """The ImageViewerInterface methods; mixed into `Viewer`, which provides the state."""

    # ------------------------------------------------------------------ labels
    def _label_index(self, image_label):
        """The stack index of an API image label (None: the only image)."""
        names = [e["name"] for e in self.images]
        if image_label is not None:
            if image_label not in names:
                raise ValueError(f"Image label '{image_label}' not found. Please load an image first.")
            return names.index(image_label)
        if not names:
            raise ValueError("No image is loaded. Please load an image first.")
        if len(names) > 1:
            raise ValueError("Multiple image labels defined. Please specify an image_label to select one.")
        return 0

    @property
    def image_labels(self):
        """Labels (names) of the loaded images, in stack order."""
        return tuple(e["name"] for e in self.images)

    # ------------------------------------------------------------------ images
    def load_image(self, data, image_label=None, **kwargs):
        """Load a FITS or Roman ASDF file, a 2-D array or an NDData into the viewer and show it.

        Without a label the one default label is used (so an unlabelled load replaces the
        previous unlabelled image); a label that exists is replaced in place, keeping its
        display. `wcs=` (a keyword of `Viewer.load`) gives an array a WCS.
        """
        label = image_label if image_label is not None else DEFAULT_LABEL
        loaded = self._loaded(data, name=label, wcs=kwargs.get("wcs"))
        if len(loaded) != 1:
            raise ValueError("load_image takes one image; use Viewer.load for several")
        index = self.image_labels.index(label) if label in self.image_labels else None
        with self.hold_sync():
            index = self._put(loaded[0], index)
            self.current = index
            self._fit_viewport(index)

    def get_image(self, image_label=None, **kwargs):
        """The data of a loaded image: a numpy array for an image loaded as an array, else an
        `NDData` (data, WCS and the file path in `meta`), read from the image's file."""
        from astropy.nddata import NDData

        from .geometry import read_data

        index = self._label_index(image_label)
        entry = self.images[index]
        data = read_data(entry["path"], plane=False)
        if self._origins.get(entry["id"]) == "array":
            return data
        return NDData(data, wcs=self._geometry(index).wcs, meta={"path": entry["path"], "name": entry["name"]})

    # ------------------------------------------------------------------ display
    def set_cuts(self, cuts, image_label=None, **kwargs):
        """Set the cuts: an astropy interval, or a (vmin, vmax) tuple (a ManualInterval)."""
        from astropy.visualization import BaseInterval

        if not ((isinstance(cuts, tuple) and len(cuts) == 2) or isinstance(cuts, BaseInterval)):
            raise TypeError("Cuts must be an Astropy.visualization Interval object or a tuple of two values.")
        spec = interval_spec(cuts)
        self._set_display(self._label_index(image_label), "interval", spec)

    def get_cuts(self, image_label=None, **kwargs):
        """The cuts of an image as an astropy interval."""
        return interval_object(self._display_of(self._label_index(image_label))["interval"])

    def set_stretch(self, stretch, image_label=None, **kwargs):
        """Set the stretch: an astropy stretch (Linear, Sqrt, Log, Asinh, Sinh, Power, HistEq)."""
        from astropy.visualization import BaseStretch

        if not isinstance(stretch, BaseStretch):
            raise TypeError(f"Stretch option {stretch!r} is not valid. Must be an `astropy.visualization` Stretch object.")
        spec = stretch_spec(stretch)
        self._set_display(self._label_index(image_label), "stretch", spec)

    def get_stretch(self, image_label=None, **kwargs):
        """The stretch of an image as an astropy stretch (HistEqStretch without its data)."""
        return stretch_object(self._display_of(self._label_index(image_label))["stretch"])

    def set_colormap(self, map_name, image_label=None, **kwargs):
        """Set the colormap by its matplotlib name (gray, viridis, inferno, magma, plasma, cividis, and _r)."""
        check_colormap(map_name)
        self._set_display(self._label_index(image_label), "colormap", map_name)

    def get_colormap(self, image_label=None, **kwargs):
        """The matplotlib name of an image's colormap."""
        return self._display_of(self._label_index(image_label))["colormap"]

    # ------------------------------------------------------------------ viewport
    def set_viewport(self, center=None, fov=None, image_label=None, **kwargs):
        """Centre the view (a SkyCoord, or pixel (x, y) of the labelled image) and set its field
        of view on the shorter side (an angle, or pixels of the labelled image)."""
        import astropy.units as u
        from astropy.coordinates import SkyCoord

        index = self._label_index(image_label)
        if center is not None and not (
            isinstance(center, SkyCoord) or (isinstance(center, (tuple, list)) and len(center) == 2)
        ):
            raise TypeError("Invalid value for center. Center must be a SkyCoord or tuple of (X, Y).")
        if fov is not None and not isinstance(fov, (u.Quantity, numbers.Real)):
            raise TypeError("Invalid value for fov. fov must be an angular Quantity or float.")
        if isinstance(fov, u.Quantity) and not fov.unit.is_equivalent(u.deg):
            raise u.UnitTypeError("Incorrect unit for fov. fov must be an angular Quantity or float.")
        geometry = self._geometry(index)
        if geometry.wcs is None and isinstance(center, SkyCoord):
            raise TypeError("Center must be a tuple for this image when WCS is not set.")
        if geometry.wcs is None and isinstance(fov, u.Quantity):
            raise TypeError("FOV must be a float for this image when WCS is not set.")
        self._set_view(index, center, fov)

    def get_viewport(self, sky_or_pixel=None, image_label=None, **kwargs):
        """The view as {"center", "fov", "image_label"} in the labelled image's terms: on the
        sky when it has a WCS (or `sky_or_pixel="sky"`), else in its pixels."""
        if sky_or_pixel not in (None, "sky", "pixel"):
            raise ValueError("sky_or_pixel must be 'sky', 'pixel', or None.")
        index = self._label_index(image_label)
        has_wcs = self._geometry(index).wcs is not None
        sky = has_wcs if sky_or_pixel is None else sky_or_pixel == "sky"
        if sky and not has_wcs:
            raise ValueError("WCS is not set. Cannot convert pixel coordinates to sky coordinates.")
        center, fov = self._view_for(index, sky)
        return {"center": center, "fov": fov, "image_label": self.images[index]["name"]}

    # ------------------------------------------------------------------ catalogs
    def _catalog_label(self, catalog_label):
        labels = tuple(self.catalogs)
        if catalog_label is not None:
            if catalog_label not in labels:
                raise ValueError(f"Catalog label '{catalog_label}' not found. Please load a catalog first.")
            return catalog_label
        if not labels:
            raise ValueError("No catalog is loaded. Please load a catalog first.")
        if len(labels) > 1:
            raise ValueError("Multiple catalog labels defined. Please specify a catalog_label to select one.")
        return labels[0]

    def _catalog_wcs(self, required):
        """The WCS to convert catalog positions with: the only image's, else the shown image's."""
        if not self.images:
            return None
        return self._geometry(0 if len(self.images) == 1 else self.current).wcs

    def load_catalog(
        self,
        table,
        x_colname="x",
        y_colname="y",
        skycoord_colname="coord",
        use_skycoord=False,
        catalog_label=None,
        catalog_style=None,
        **kwargs,
    ):
        """Show the positions of a table as markers (pixel columns or a SkyCoord column)."""
        from .catalogs import DEFAULT_STYLE, prepared_table, trait_value

        shape = self._geometry(0 if len(self.images) == 1 else self.current).shape if self.images else None
        prepared = prepared_table(table, x_colname, y_colname, skycoord_colname, use_skycoord, self._catalog_wcs,
                                  shape=shape)
        label = catalog_label if catalog_label is not None else DEFAULT_LABEL
        style = catalog_style or self._catalog_styles.get(label) or dict(DEFAULT_STYLE)
        frame = self.images[self.current]["id"] if self.images else None
        self._catalog_tables[label] = prepared
        self._catalog_styles[label] = dict(style)
        self.catalogs = {**self.catalogs, label: trait_value(prepared, style, frame)}

    def get_catalog(self, x_colname="x", y_colname="y", skycoord_colname="coord", catalog_label=None, **kwargs):
        """A copy of a catalog's table, its positions under the column names asked for."""
        from astropy.table import Table

        from .catalogs import table_from_trait

        if catalog_label is None and not self.catalogs:
            return Table(names=[x_colname, y_colname, skycoord_colname])
        label = self._catalog_label(catalog_label)
        table = self._catalog_tables.get(label)
        result = table.copy() if table is not None else table_from_trait(self.catalogs[label])
        result.rename_columns(["x", "y", "coord"], [x_colname, y_colname, skycoord_colname])
        return result

    def set_catalog_style(self, catalog_label=None, shape="circle", color="red", size=5.0, **kwargs):
        """Set a catalog's marker shape (circle, square, crosshair, plus, diamond), colour and size."""
        from roman_lab.state import MARKERS

        from .catalogs import trait_style

        if not self.catalogs:
            raise ValueError("Must load a catalog before setting a catalog style.")
        label = self._catalog_label(catalog_label)
        if shape not in MARKERS:
            raise ValueError(f"marker shape {shape!r} is not one of {', '.join(MARKERS)}")
        style = {"shape": shape, "color": color, "size": size, **kwargs}
        self._catalog_styles[label] = style
        self.catalogs = {**self.catalogs, label: {**self.catalogs[label], "style": trait_style(style)}}

    def get_catalog_style(self, catalog_label=None, **kwargs):
        """A catalog's style (shape, color, size and any extra keys) with its catalog_label."""
        from .catalogs import DEFAULT_STYLE, style_from_trait

        if catalog_label is None and not self.catalogs:
            return {**DEFAULT_STYLE, "catalog_label": None}
        label = self._catalog_label(catalog_label)
        style = self._catalog_styles.get(label) or style_from_trait(self.catalogs[label])
        return {**style, "catalog_label": label}

    def remove_catalog(self, catalog_label=None, **kwargs):
        """Remove a catalog's markers; '*' removes every catalog."""
        if isinstance(catalog_label, list):
            raise TypeError(
                "Cannot remove multiple catalogs from a list. Please specify a single catalog label or use '*' to remove all catalogs."
            )
        labels = set(self.catalogs) if catalog_label == "*" else {self._catalog_label(catalog_label)}
        self.catalogs = {k: v for k, v in self.catalogs.items() if k not in labels}

    @property
    def catalog_labels(self):
        """Labels of the loaded catalogs."""
        return tuple(self.catalogs)

    # ------------------------------------------------------------------ saving
    def save(self, filename, overwrite=False, **kwargs):
        """Write a PNG of the view (the current image around the view centre, the circles on
        it), rendered in Python; FileExistsError unless `overwrite`."""
        import numpy as np

        from roman_lab.io.skypixel import world_to_pixel

        from . import render
        from .geometry import read_data

        path = Path(os.fspath(filename))
        if path.exists() and not overwrite:
            raise FileExistsError(f"File {path} already exists. Use overwrite=True to overwrite it.")
        width, height = self._view_size()
        index = self.current
        if not self.images or not np.all(np.isfinite(self._view_for(index, sky=False)[0])):
            render.write_image(path, np.zeros((height, width, 3), np.uint8))
            return
        data = np.asarray(read_data(self.images[index]["path"]), dtype=float)
        display = self._display_of(index)
        center, fov = self._view_for(index, sky=False)
        stretch = stretch_object(display["stretch"], data[np.isfinite(data)])
        rgb = render.view_rgb(data, interval_object(display["interval"]), stretch, display["colormap"], center, fov, (width, height))
        geometry = self._geometry(index)
        for region in self.regions if geometry.wcs is not None else ():
            x, y = world_to_pixel(geometry.wcs, region.center, shape=geometry.shape)
            if not (np.isfinite(x) and np.isfinite(y)):  # far off this image: nothing to draw
                continue
            radius = region.radius.to_value("deg") / geometry.pixel_scale()
            render.draw_circle(rgb, (float(x), float(y)), radius, center, min(width, height) / fov)
        render.write_image(path, rgb)
