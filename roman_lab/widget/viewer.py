"""`roman_lab.Viewer`: the blink viewer in a notebook, driven from Python.

An anywidget whose browser half mounts the same viewer core as the lab document viewer. Its
state is the synchronised traits below (their JSON is the contract with the browser, in
docs/state.md "Widget traits"); Python's copy is authoritative when no view is attached, so
everything but the pixels on screen works (and is tested) without a browser.
"""

from __future__ import annotations

import os
import uuid
import warnings
import weakref
from pathlib import Path

import anywidget
import numpy as np
import traitlets as t

from .. import state as view_state
from ..display import (
    DEFAULT_DISPLAY,
    check_colormap,
    check_display,
    interval_object,
    interval_spec,
    stretch_object,
    stretch_spec,
)
from . import sources
from .channel import Channel
from .circles import CirclesMixin
from .geometry import read_geometry
from .image_api import ImageDisplayAPI
from .skyregions import as_region, regions_to_json
from .viewport import NOMINAL_VIEW_SIDE, ViewFrame

STATIC = Path(__file__).parent / "static"
WORK_FOLDER = Path(".roman-lab")  # under the kernel's working directory: arrays/, downloads/


class _ImageIndex(t.Int):
    """The index of an image in the stack; also settable by image name or id (negative: from the end)."""

    def validate(self, obj, value):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            value = obj._index(value)
        value = int(value)
        n = len(obj.images)
        if value < 0:
            value += n
        if not (0 <= value < max(n, 1)):
            raise t.TraitError(f"image index {value} is out of range: the viewer has {n} images")
        return super().validate(obj, value)


def _traiterror(check):
    """A trait validator from a JSON check that raises ValueError."""

    def validate(self, proposal):
        try:
            return check(proposal["value"])
        except ValueError as err:
            raise t.TraitError(str(err)) from None

    return validate


class Viewer(CirclesMixin, ImageDisplayAPI, anywidget.AnyWidget):
    """Many Roman images aligned on the sky: blink them, stretch them as one, draw circles,
    open their ramps. `load(...)` takes paths, `find_exposures` results, `roman_lab.open`
    files, FITS HDUs, NDData and arrays (with `wcs=`)."""

    _esm = STATIC / "widget.js"

    images = t.List(t.Dict()).tag(sync=True)
    current = _ImageIndex(0).tag(sync=True)
    reference = t.Unicode(None, allow_none=True).tag(sync=True)
    display = t.Dict(default_value=DEFAULT_DISPLAY).tag(sync=True)
    sync_stretch = t.Bool(True).tag(sync=True)
    limits = t.Enum(view_state.LIMITS, default_value="per-image").tag(sync=True)
    image_display = t.Dict().tag(sync=True)
    center = t.Dict(default_value=None, allow_none=True).tag(sync=True)
    zoom_level = t.Float(None, allow_none=True).tag(sync=True)
    regions = t.List().tag(sync=True, to_json=regions_to_json)  # the browser's JSON: converted by _valid_regions
    catalogs = t.Dict().tag(sync=True)
    blink_interval = t.Float(0.5).tag(sync=True)
    blinking = t.Bool(False).tag(sync=True)
    dq_overlay = t.Bool(False).tag(sync=True)
    ramp_selection = t.Dict(default_value=None, allow_none=True).tag(sync=True)
    view_size = t.Dict(default_value=None, allow_none=True).tag(sync=True)
    # how the browser reaches roman-lab, read when a view starts: the page's server over HTTP when it
    # answers, else this kernel ("auto"); or always one of them (docs/rest.md)
    connection = t.Enum(("auto", "http", "kernel"), default_value="auto").tag(sync=True)

    _latest = None  # weakref to the viewer created last: the one `%roman` acts on

    def __init__(self, **kwargs):
        self._origins = {}  # image id -> "array" | "nddata" | "file": what get_image returns
        self._geometries = {}  # path -> Geometry, read when first needed
        self._catalog_tables = {}  # catalog label -> the whole table loaded
        self._catalog_styles = {}  # catalog label -> the API style (with extra keys)
        self._given_view = {}  # the viewport as last given to set_viewport (see _view_for)
        super().__init__(**kwargs)
        self._channel = Channel(self)  # the browser's requests and store reads (channel.py)
        Viewer._latest = weakref.ref(self)

    @classmethod
    def latest(cls):
        """The viewer created last in this kernel (None when it is gone)."""
        return cls._latest() if cls._latest is not None else None

    # ------------------------------------------------------------------ validation
    _valid_images = t.validate("images")(_traiterror(view_state.check_images))
    _valid_display = t.validate("display")(_traiterror(check_display))
    _valid_center = t.validate("center")(_traiterror(view_state.check_center))

    @t.validate("image_display")
    def _valid_image_display(self, proposal):
        try:
            return {str(k): check_display(v) for k, v in proposal["value"].items()}
        except ValueError as err:
            raise t.TraitError(f"image_display: {err}") from None

    @t.validate("regions")
    def _valid_regions(self, proposal):
        try:
            return [as_region(r) for r in proposal["value"]]
        except (TypeError, ValueError) as err:
            raise t.TraitError(str(err)) from None

    @t.validate("catalogs")
    def _valid_catalogs(self, proposal):
        try:
            return {str(k): view_state.check_catalog(v, f"catalogs[{k!r}]") for k, v in proposal["value"].items()}
        except ValueError as err:
            raise t.TraitError(str(err)) from None

    @t.validate("reference")
    def _valid_reference(self, proposal):
        value = proposal["value"]
        if value is not None and value not in {e["id"] for e in self.images}:
            raise t.TraitError(f"reference {value!r} is not the id of an image in the viewer")
        return value

    @t.validate("zoom_level", "blink_interval")
    def _valid_positive(self, proposal):
        value = proposal["value"]
        if value is not None and not value > 0:
            raise t.TraitError(f"{proposal['trait'].name} must be positive, not {value}")
        return value

    @t.validate("view_size")
    def _valid_view_size(self, proposal):
        value = proposal["value"]
        if value is not None and not (set(value) == {"width", "height"} and all(v > 0 for v in value.values())):
            raise t.TraitError(f"view_size must be {{'width': px, 'height': px}} or None, not {value!r}")
        return value

    @t.validate("ramp_selection")
    def _valid_ramp_selection(self, proposal):
        value = proposal["value"]
        if value is not None and (set(value) != {"image", "region"} or value["image"] not in {e["id"] for e in self.images}):
            raise t.TraitError(f"ramp_selection must be {{'image': image id, 'region': region id}} or None, not {value!r}")
        return value

    # ------------------------------------------------------------------ consistency
    @t.observe("images")
    def _images_changed(self, change):
        ids = [e["id"] for e in change["new"]]
        kept = set(ids)
        paths = {e["path"] for e in change["new"]}
        self._origins = {k: v for k, v in self._origins.items() if k in kept}
        self._geometries = {k: v for k, v in self._geometries.items() if k in paths}
        self._given_view = {}
        with self.hold_sync():
            if self.reference not in kept:
                mosaics = [e["id"] for e in change["new"] if e["kind"] == "mosaic"]
                self.reference = (mosaics or ids or [None])[0]
            if not set(self.image_display) <= kept:
                self.image_display = {k: v for k, v in self.image_display.items() if k in kept}
            if self.current >= max(len(ids), 1):
                self.current = max(len(ids) - 1, 0)
            if self.ramp_selection is not None and self.ramp_selection["image"] not in kept:
                self.ramp_selection = None

    @t.observe("catalogs")
    def _catalogs_changed(self, change):
        for cache in (self._catalog_tables, self._catalog_styles):
            for label in set(cache) - set(change["new"]):
                del cache[label]

    @t.observe("sync_stretch")
    def _sync_changed(self, change):
        """Turning the shared display on adopts the display of the image on screen."""
        if change["new"] and self.images:
            own = self.image_display.get(self.images[self.current]["id"])
            if own is not None:
                self.display = own

    # ------------------------------------------------------------------ the stack
    def _index(self, image):
        """The stack index of an image given by index, id, name, path, entry or Exposure."""
        n = len(self.images)
        if isinstance(image, (int, np.integer)) and not isinstance(image, bool):
            index = int(image) + (n if image < 0 else 0)
            if not 0 <= index < n:
                raise IndexError(f"image index {image} is out of range: the viewer has {n} images")
            return index
        if isinstance(image, dict) and "id" in image:
            image = image["id"]
        elif sources.is_exposure(image):
            image = image.path or image.name
        for key in ("id", "name"):
            for i, entry in enumerate(self.images):
                if entry[key] == image:
                    return i
        if isinstance(image, (str, os.PathLike)):
            path = str(Path(image).expanduser().resolve())
            for i, entry in enumerate(self.images):
                if entry["path"] == path:
                    return i
            stem = sources.display_name(image)
            for i, entry in enumerate(self.images):
                if entry["name"] == stem:
                    return i
        names = ", ".join(e["name"] for e in self.images[:8]) + (", ..." if n > 8 else "")
        raise ValueError(f"no image {image!r} in the viewer" + (f" (its images: {names})" if n else " (it is empty)"))

    def _loaded(self, obj, name, wcs):
        """What `load` makes of obj: a list of `sources.Loaded`."""
        from roman_lab.io import RomanFile

        if isinstance(obj, (str, os.PathLike)):
            return [sources.from_path(obj, name)]
        if isinstance(obj, RomanFile):
            return [sources.from_roman_file(obj, name)]
        if sources.is_exposure(obj):
            loaded = sources.from_exposures([obj], Path.cwd() / WORK_FOLDER / "downloads")
            if name:
                loaded[0].entry["name"] = name
            return loaded
        if isinstance(obj, (list, tuple)):
            if name is not None:
                raise ValueError("name= names one image; the images of a list are named after their files")
            if obj and all(sources.is_exposure(e) for e in obj):
                return sources.from_exposures(obj, Path.cwd() / WORK_FOLDER / "downloads")
            return [item for element in obj for item in self._loaded(element, None, wcs)]
        if sources.is_image_data(obj):
            wcs_object, borrowed = self._wcs_argument(wcs)
            return [sources.from_data(obj, name or "image", wcs_object, Path.cwd() / WORK_FOLDER / "arrays", borrowed)]
        raise TypeError(
            f"cannot load a {type(obj).__name__}: give a path, a list of paths, find_exposures(...) results, "
            "a roman_lab.open(...) file, an astropy HDU or NDData, or an array with wcs="
        )

    def _wcs_argument(self, wcs):
        """(WCS object, None) or (None, (Geometry, id) of the stack image whose WCS is borrowed)."""
        from astropy.wcs import WCS

        from roman_lab.io import RomanFile

        if wcs is None or isinstance(wcs, WCS) or hasattr(wcs, "forward_transform"):  # astropy WCS or gwcs
            return wcs, None
        try:
            index = self._index(wcs)
        except ValueError:
            index = None
        if index is not None:
            return None, (self._geometry(index), self.images[index]["id"])
        if isinstance(wcs, RomanFile):
            return wcs.wcs, None
        path = wcs.path if sources.is_exposure(wcs) else wcs
        if isinstance(path, (str, os.PathLike)) and Path(path).is_file():
            return read_geometry(path).wcs, None
        raise ValueError(f"wcs={wcs!r} is neither a WCS nor an image of this viewer nor an image file")

    def _new_entry(self, loaded, image_id, taken):
        entry = {"wcs_from": None, "mark": None, **loaded.entry, "id": image_id}
        name, n = entry["name"], 2
        while entry["name"] in taken:
            entry["name"] = f"{name} ({n})"
            n += 1
        self._origins[image_id] = loaded.origin
        if loaded.geometry is not None:
            self._geometries[entry["path"]] = loaded.geometry
        return entry

    def _put(self, loaded, index=None):
        """Add one image (index None) or replace the image at `index`, keeping its id and display."""
        images = list(self.images)
        if index is None:
            images.append(self._new_entry(loaded, uuid.uuid4().hex[:8], {e["name"] for e in images}))
            index = len(images) - 1
        else:
            old = images[index]
            taken = {e["name"] for e in images} - {old["name"]}
            images[index] = {**self._new_entry(loaded, old["id"], taken), "mark": old["mark"]}
        self.images = images
        return index

    def load(self, obj, name=None, wcs=None):
        """Add images to the stack and return at once (the browser converts them as it shows them).

        obj: a path (Roman ASDF or FITS), a list of paths, an ExposureList or Exposure
        (`find_exposures`; remote ones are downloaded first, with progress), a `roman_lab.open`
        file, an astropy HDU/HDUList/NDData, or a 2-D array. Arrays and HDUs are written as
        FITS under `.roman-lab/arrays/`. wcs: for data, an astropy WCS, a gwcs, or an image of
        the stack (id, name, index, Exposure) whose WCS it shares. A file already in the stack
        is not added twice.
        """
        loaded = self._loaded(obj, name, wcs)
        images = list(self.images)
        known = {e["path"] for e in images}
        for item in loaded:
            if item.origin == "file" and item.entry["path"] in known and name is None:
                continue
            known.add(item.entry["path"])
            images.append(self._new_entry(item, uuid.uuid4().hex[:8], {e["name"] for e in images}))
        self.images = images

    def remove(self, image):
        """Take an image out of the stack."""
        index = self._index(image)
        shown = self.images[self.current]["id"]
        images = [e for i, e in enumerate(self.images) if i != index]
        with self.hold_sync():
            self.images = images
            ids = [e["id"] for e in images]
            self.current = ids.index(shown) if shown in ids else min(index, max(len(ids) - 1, 0))

    def move(self, image, index):
        """Move an image to position `index` of the stack (the blink order)."""
        source = self._index(image)
        shown = self.images[self.current]["id"]
        images = list(self.images)
        entry = images.pop(source)
        images.insert(index if index >= 0 else len(images) + index + 1, entry)
        with self.hold_sync():
            self.images = images
            self.current = [e["id"] for e in images].index(shown)

    def mark(self, image, mark="suspicious"):
        """Mark an image ("suspicious") or clear its mark (None)."""
        if mark not in view_state.MARKS:
            raise ValueError(f"mark must be 'suspicious' or None, not {mark!r}")
        index = self._index(image)
        self.images = [{**e, "mark": mark} if i == index else e for i, e in enumerate(self.images)]

    @property
    def current_image(self):
        """The stack entry of the image on screen (None when the viewer is empty)."""
        return self.images[self.current] if self.images else None

    def next(self):
        """Show the next image of the stack (after the last: the first)."""
        self._step(1)

    def previous(self):
        """Show the previous image of the stack (before the first: the last)."""
        self._step(-1)

    def _step(self, step):
        if not self.images:
            raise ValueError("the viewer has no images: load some first")
        self.current = (self.current + step) % len(self.images)

    def blink(self, interval=0.5):
        """Cycle through the stack every `interval` seconds (the browser keeps time)."""
        if len(self.images) < 2:
            raise ValueError("blinking needs at least two images in the viewer")
        with self.hold_sync():
            self.blink_interval = interval
            self.blinking = True

    def stop(self):
        """Stop blinking on the image shown now."""
        self.blinking = False

    # ------------------------------------------------------------------ display
    def _display_of(self, index):
        if self.sync_stretch or not self.images:
            return self.display
        return self.image_display.get(self.images[index]["id"], self.display)

    def _set_display(self, index, key, value):
        if self.sync_stretch or not self.images:
            self.display = {**self.display, key: value}
        else:
            image_id = self.images[index]["id"]
            self.image_display = {**self.image_display, image_id: {**self._display_of(index), key: value}}

    @property
    def stretch(self):
        """The stretch of the image on screen (an astropy stretch); set it with a stretch or a
        name: linear, sqrt, log, asinh, sinh, histeq (power needs PowerStretch(a))."""
        return stretch_object(self._display_of(self.current)["stretch"])

    @stretch.setter
    def stretch(self, value):
        self._set_display(self.current, "stretch", stretch_spec(value))

    @property
    def cuts(self):
        """The interval of the image on screen (an astropy interval); set it with a (vmin, vmax)
        pair, a percentile number, "zscale", "minmax" or an astropy interval."""
        return interval_object(self._display_of(self.current)["interval"])

    @cuts.setter
    def cuts(self, value):
        self._set_display(self.current, "interval", interval_spec(value))

    @property
    def colormap(self):
        """The matplotlib colormap name of the image on screen."""
        return self._display_of(self.current)["colormap"]

    @colormap.setter
    def colormap(self, name):
        self._set_display(self.current, "colormap", check_colormap(name))

    def apply_stretch_to_all(self):
        """Give every image the display (stretch, cuts, colormap) of the image on screen."""
        display = self._display_of(self.current)
        with self.hold_sync():
            self.display = display
            if self.image_display:
                self.image_display = {e["id"]: display for e in self.images}

    # ------------------------------------------------------------------ the view
    def _geometry(self, index):
        path = self.images[index]["path"]
        if path not in self._geometries:
            self._geometries[path] = read_geometry(path)
        return self._geometries[path]

    def _reference_index(self):
        ids = [e["id"] for e in self.images]
        return ids.index(self.reference) if self.reference in ids else 0

    def _frame(self):
        return ViewFrame(self._geometry(self._reference_index()))

    def _view_size(self):
        """(width, height) of the view in CSS pixels (a nominal square until a browser reports it)."""
        if self.view_size:
            return int(self.view_size["width"]), int(self.view_size["height"])
        return NOMINAL_VIEW_SIDE, NOMINAL_VIEW_SIDE

    def _set_view(self, index, center=None, fov=None):
        """Set the view from a centre and/or field of view in image `index`'s terms.

        The values are also remembered as given, so that reading the viewport back in the same
        terms returns them exactly (until the view is changed some other way, e.g. in the browser).
        """
        frame, geometry = self._frame(), self._geometry(index)
        image_id = self.images[index]["id"]
        if isinstance(center, list):
            center = tuple(center)
        with self.hold_sync():
            if center is not None:
                self.center = frame.center_trait(center, geometry)
                self._given_view["center"] = (image_id, center, self.center)
            if fov is not None:
                self.zoom_level = min(self._view_size()) / frame.fov_in_reference_pixels(fov, geometry)
                self._given_view["fov"] = (image_id, fov, self.zoom_level, self.view_size)

    def _view_for(self, index, sky):
        """(centre, field of view) of the view in image `index`'s terms: SkyCoord and angle
        (sky), else its pixel (x, y) and pixels."""
        import astropy.units as u
        from astropy.coordinates import SkyCoord

        frame, geometry = self._frame(), self._geometry(index)
        image_id = self.images[index]["id"]
        given = self._given_view.get("center")
        if given and given[0] == image_id and given[2] == self.center:
            value = given[1]
            if isinstance(value, SkyCoord) == sky:
                center = value
            elif sky:
                center = geometry.wcs.pixel_to_world(*value)
            else:
                from roman_lab.io.skypixel import world_to_pixel

                center = tuple(float(v) for v in world_to_pixel(geometry.wcs, value, shape=geometry.shape))
        else:
            center = frame.center_for(self.center, geometry, sky)
        given = self._given_view.get("fov")
        if given and given[0] == image_id and given[2:] == (self.zoom_level, self.view_size):
            value = given[1]
            if isinstance(value, u.Quantity):
                fov = value if sky else value.to_value(u.deg) / geometry.pixel_scale()
            else:
                fov = geometry.pixel_scale() * value * u.deg if sky else value
        else:
            reference_pixels = min(self._view_size()) / self.zoom_level if self.zoom_level else frame.ref.largest_dimension
            fov = frame.fov_for(reference_pixels, geometry, sky)
        return center, fov

    def _fit_viewport(self, index):
        """The view a newly shown image starts with: the whole image, centred."""
        if index == self._reference_index():
            with self.hold_sync():
                self.center = None
                self.zoom_level = None
        else:
            geometry = self._geometry(index)
            self._set_view(index, geometry.center_pixel, geometry.largest_dimension)

    def center_on(self, point):
        """Centre the view on a SkyCoord, a sky region's centre, or a pixel (x, y) of the image on screen."""
        from astropy.coordinates import SkyCoord

        point = getattr(point, "center", point)
        if isinstance(point, SkyCoord):
            if not self.images or self._frame().sky:
                self.center = {"ra": float(point.icrs.ra.deg) % 360.0, "dec": float(point.icrs.dec.deg)}
                return
            if self._geometry(self.current).wcs is None:
                raise ValueError(f"neither the reference image nor {self.images[self.current]['name']} has a WCS: centre on a pixel (x, y)")
        elif not (isinstance(point, (tuple, list)) and len(point) == 2):
            raise TypeError(f"center_on takes a SkyCoord, a region or a pixel (x, y), not {point!r}")
        elif not self.images:
            raise ValueError("the viewer has no images: centre on a SkyCoord, or load images first")
        self._set_view(self.current, point)

    # ------------------------------------------------------------------ state
    def _view_values(self):
        values = {key: getattr(self, key) for key in view_state.VIEW_KEYS}
        values["regions"] = regions_to_json(self.regions)
        return values

    def save_state(self, path):
        """Save the view (images, frame, display, circles, catalogs, ramp selection) as a state file
        (docs/state.md; the lab opens `NAME.romanview.json` files too). Returns its path."""
        return view_state.save(path, self._view_values())

    def load_state(self, path):
        """Restore a state file into this viewer. Images whose file is gone are left out, with a
        warning; returns them as a list of {"id", "name", "path"} (empty when all are there)."""
        values, missing = view_state.load(path)
        with self.hold_sync():
            self.blinking = False
            self.images = values["images"]
            for key in view_state.VIEW_KEYS[1:]:
                setattr(self, key, values[key])
        self._origins = {}
        self._catalog_tables, self._catalog_styles, self._given_view = {}, {}, {}
        if missing:
            names = ", ".join(m["path"] for m in missing)
            warnings.warn(f"{len(missing)} image(s) of {Path(path).name} are missing and were left out: {names}", stacklevel=2)
        return missing

    @classmethod
    def from_state(cls, path):
        """A new viewer restored from a state file (see `load_state`)."""
        viewer = cls()
        viewer.load_state(path)
        return viewer

    # ------------------------------------------------------------------ text
    def __repr__(self):
        n = len(self.images)
        if not n:
            return "<roman_lab.Viewer: empty>"
        entry = self.images[self.current]
        meta = entry["meta"]
        about = ", ".join(v for v in (entry["kind"], meta["detector"], meta["time"], entry["mark"]) if v)
        display = self._display_of(self.current)
        stretch = display["stretch"]["name"]
        interval = display["interval"]
        cuts = {"percentile": f"{interval.get('percentile')}%", "manual": f"{interval.get('vmin')}..{interval.get('vmax')}"}
        lines = [
            f"<roman_lab.Viewer: {n} image{'s' * (n != 1)}",
            f"  showing {self.current + 1}/{n}: {entry['name']} ({about})",
            f"  reference: {self.images[self._reference_index()]['name']}",
            f"  display: {stretch} stretch, {cuts.get(interval['kind'], interval['kind'])} cuts, {display['colormap']}"
            + (" (one display for all)" if self.sync_stretch else " (per image)"),
        ]
        if self.center is not None:
            where = (f"RA {self.center['ra']:.6f} Dec {self.center['dec']:+.6f}" if "ra" in self.center
                     else f"x {self.center['x']:.1f} y {self.center['y']:.1f}")
            lines.append(f"  centre: {where}, zoom {self.zoom_level or 'to fit'}")
        if self.regions:
            lines.append(f"  circles: {len(self.regions)} (last: {self.regions[-1].radius.to('arcsec'):.2f})")
        if self.blinking:
            lines.append(f"  blinking every {self.blink_interval} s")
        return "\n".join(lines) + ">"
