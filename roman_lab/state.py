"""The one saved-view format shared by the notebook `Viewer` and the lab document viewer.

A versioned JSON document (`{"format": "roman-lab-view", "version": 1, ...}`, conventionally
`NAME.romanview.json`; every key is in docs/state.md). Image paths are stored relative to
the state file's folder, so a folder of data and its state files can move together, with
the absolute path as a fallback. Restoring re-opens images by path; images whose file is
gone are listed and left out, the rest is restored. A newer version is refused.

Also the validation of the viewer's JSON values, used for the widget's traits too.
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path

from .display import check_display

FORMAT = "roman-lab-view"
VERSION = 1
KINDS = ("exposure", "mosaic", "ramp", "user")
MARKS = (None, "suspicious")
LIMITS = ("per-image", "fixed")
# The view values a state holds, in document order (`blinking` and `view_size` are not saved:
# a restored view does not start blinking, and its size is the new window's).
VIEW_KEYS = (
    "images",
    "current",
    "reference",
    "display",
    "sync_stretch",
    "limits",
    "image_display",
    "center",
    "zoom_level",
    "regions",
    "catalogs",
    "blink_interval",
    "dq_overlay",
    "ramp_selection",
)
DEFAULTS = {
    "current": 0,
    "reference": None,
    "sync_stretch": True,
    "limits": "per-image",
    "image_display": {},
    "center": None,
    "zoom_level": None,
    "regions": [],
    "catalogs": {},
    "blink_interval": 0.5,
    "dq_overlay": False,
    "ramp_selection": None,
}


class StateError(ValueError):
    """A state document that cannot be restored; the message says where and why."""


def _fail(where, message):
    raise StateError(f"{where}: {message}")


def _real(value, where, positive=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(where, f"must be a finite number, not {value!r}")
    if positive and value <= 0:
        _fail(where, f"must be positive, not {value!r}")
    return float(value)


def _text(value, where, optional=False):
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        _fail(where, f"must be a non-empty string, not {value!r}")
    return value


def _one_of(value, choices, where):
    if value not in choices:
        _fail(where, f"must be one of {', '.join(map(repr, choices))}, not {value!r}")
    return value


def _keys(obj, where, required, optional=()):
    if not isinstance(obj, dict):
        _fail(where, f"must be an object, not {type(obj).__name__}")
    missing = [k for k in required if k not in obj]
    if missing:
        _fail(where, f"is missing {', '.join(missing)}")
    unknown = sorted(set(obj) - set(required) - set(optional))
    if unknown:
        _fail(where, f"has unknown keys {', '.join(unknown)}")


# --------------------------------------------------------------------------- the values
def check_image(entry, where="image"):
    """A validated, complete copy of one stack entry (missing optional keys get defaults)."""
    _keys(entry, where, ("id", "path", "name", "kind"), ("wcs_from", "mark", "meta"))
    meta = entry.get("meta") or {}
    _keys(meta, f"{where}.meta", (), ("time", "detector", "level"))
    level = meta.get("level")
    if level is not None and level not in (1, 2, 3):
        _fail(f"{where}.meta.level", f"must be 1, 2, 3 or null, not {level!r}")
    return {
        "id": _text(entry["id"], f"{where}.id"),
        "path": _text(entry["path"], f"{where}.path"),
        "name": _text(entry["name"], f"{where}.name"),
        "kind": _one_of(entry["kind"], KINDS, f"{where}.kind"),
        "wcs_from": _text(entry.get("wcs_from"), f"{where}.wcs_from", optional=True),
        "mark": _one_of(entry.get("mark"), MARKS, f"{where}.mark"),
        "meta": {
            "time": _text(meta.get("time"), f"{where}.meta.time", optional=True),
            "detector": _text(meta.get("detector"), f"{where}.meta.detector", optional=True),
            "level": level,
        },
    }


def check_images(images, where="images"):
    if not isinstance(images, list):
        _fail(where, "must be a list")
    out = [check_image(entry, f"{where}[{i}]") for i, entry in enumerate(images)]
    for key in ("id", "name"):
        seen = set()
        for i, entry in enumerate(out):
            if entry[key] in seen:
                _fail(f"{where}[{i}].{key}", f"{entry[key]!r} is used twice; image {key}s must be unique")
            seen.add(entry[key])
    ids = {e["id"] for e in out}
    for i, entry in enumerate(out):
        if entry["wcs_from"] is not None and entry["wcs_from"] not in ids:
            _fail(f"{where}[{i}].wcs_from", f"{entry['wcs_from']!r} is not the id of an image in the state")
    return out


def check_center(center, where="center"):
    if center is None:
        return None
    if isinstance(center, dict) and "ra" in center:
        _keys(center, where, ("ra", "dec"))
        dec = _real(center["dec"], f"{where}.dec")
        if not -90 <= dec <= 90:
            _fail(f"{where}.dec", f"must be within [-90, 90], not {dec}")
        return {"ra": _real(center["ra"], f"{where}.ra") % 360.0, "dec": dec}
    _keys(center, where, ("x", "y"))
    return {"x": _real(center["x"], f"{where}.x"), "y": _real(center["y"], f"{where}.y")}


def check_region(region, where="region"):
    _keys(region, where, ("ra", "dec", "radius_arcsec"), ("id",))
    out = check_center({"ra": region["ra"], "dec": region["dec"]}, where)
    out["radius_arcsec"] = _real(region["radius_arcsec"], f"{where}.radius_arcsec", positive=True)
    if region.get("id") is not None:
        out["id"] = str(region["id"])
    return out


MARKERS = ("circle", "square", "crosshair", "plus", "diamond")


def check_catalog(catalog, where="catalog"):
    _keys(catalog, where, ("points", "style"), ("frame",))
    points = catalog["points"]
    if not isinstance(points, list):
        _fail(f"{where}.points", "must be a list")
    checked = []
    for i, p in enumerate(points):
        at = f"{where}.points[{i}]"
        if isinstance(p, dict) and "ra" in p:
            _keys(p, at, ("ra", "dec"))
        else:
            _keys(p, at, ("x", "y"))
        checked.append({k: _real(v, f"{at}.{k}") for k, v in p.items()})
    style = catalog["style"]
    _keys(style, f"{where}.style", ("color", "size", "marker"))
    return {
        "points": checked,
        "style": {
            "color": _text(style["color"], f"{where}.style.color"),
            "size": _real(style["size"], f"{where}.style.size", positive=True),
            "marker": _one_of(style["marker"], MARKERS, f"{where}.style.marker"),
        },
        "frame": _text(catalog.get("frame"), f"{where}.frame", optional=True),
    }


def check_display_value(display, where):
    try:
        return check_display(display)
    except ValueError as err:
        raise StateError(f"{where}: {err}") from None


def check_view(values):
    """A validated copy of the view values (VIEW_KEYS) of a state; references between them
    (current, reference, image_display, ramp_selection) are checked against the images."""
    images = check_images(values["images"])
    ids = {e["id"] for e in images}
    current = values.get("current", 0)
    if isinstance(current, bool) or not isinstance(current, int) or not (0 <= current < max(len(images), 1)):
        _fail("current", f"must be an image index in [0, {max(len(images) - 1, 0)}], not {current!r}")
    reference = values.get("reference")
    if reference is not None and reference not in ids:
        _fail("reference", f"{reference!r} is not the id of an image in the state")
    image_display = values.get("image_display") or {}
    if not isinstance(image_display, dict):
        _fail("image_display", "must be an object {image id: display}")
    for key in image_display:
        if key not in ids:
            _fail(f"image_display[{key!r}]", "is not the id of an image in the state")
    regions = values.get("regions") or []
    if not isinstance(regions, list):
        _fail("regions", "must be a list")
    catalogs = values.get("catalogs") or {}
    if not isinstance(catalogs, dict):
        _fail("catalogs", "must be an object {label: catalog}")
    selection = values.get("ramp_selection")
    if selection is not None:
        _keys(selection, "ramp_selection", ("image", "region"))
        if selection["image"] not in ids:
            _fail("ramp_selection.image", f"{selection['image']!r} is not the id of an image in the state")
    zoom = values.get("zoom_level")
    return {
        "images": images,
        "current": current,
        "reference": reference,
        "display": check_display_value(values.get("display", {}), "display"),
        "sync_stretch": _bool(values.get("sync_stretch", True), "sync_stretch"),
        "limits": _one_of(values.get("limits", "per-image"), LIMITS, "limits"),
        "image_display": {k: check_display_value(v, f"image_display[{k!r}]") for k, v in image_display.items()},
        "center": check_center(values.get("center")),
        "zoom_level": None if zoom is None else _real(zoom, "zoom_level", positive=True),
        "regions": [check_region(r, f"regions[{i}]") for i, r in enumerate(regions)],
        "catalogs": {str(k): check_catalog(v, f"catalogs[{k!r}]") for k, v in catalogs.items()},
        "blink_interval": _real(values.get("blink_interval", 0.5), "blink_interval", positive=True),
        "dq_overlay": _bool(values.get("dq_overlay", False), "dq_overlay"),
        "ramp_selection": None if selection is None else {"image": selection["image"], "region": str(selection["region"])},
    }


def _bool(value, where):
    if not isinstance(value, bool):
        _fail(where, f"must be true or false, not {value!r}")
    return value


# --------------------------------------------------------------------------- documents
def to_document(values, folder):
    """The state document of view values, image paths made relative to `folder`."""
    view = check_view(values)
    folder = Path(folder).resolve()
    images = []
    for entry in view["images"]:
        absolute = Path(entry["path"]).resolve()
        relative = Path(os.path.relpath(absolute, folder)).as_posix()
        images.append({**entry, "path": relative, "absolute_path": str(absolute)})
    saved = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"format": FORMAT, "version": VERSION, "saved": saved, **view, "images": images}


def from_document(document, folder):
    """(view values, missing): the view of a state document with image paths resolved from
    `folder` (then the absolute path); images whose file is gone are left out and listed in
    `missing` as {"id", "name", "path"}, and what referred to them is cleared."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else type(document).__name__
        raise StateError(f"not a roman-lab view state (format is {found!r}, expected {FORMAT!r})")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise StateError(f"version must be a positive integer, not {version!r}")
    if version > VERSION:
        raise StateError(
            f"this state was written by a newer roman-lab (format version {version}); "
            f"this one reads version {VERSION}: upgrade roman-lab to restore it"
        )
    unknown = sorted(set(document) - {"format", "version", "saved", *VIEW_KEYS})
    if unknown:
        raise StateError(f"unknown keys {', '.join(unknown)} in a version {version} state")
    if "images" not in document:
        raise StateError("images: missing")
    if not isinstance(document["images"], list):
        raise StateError("images: must be a list")
    folder = Path(folder).resolve()
    images, missing = [], []
    for i, entry in enumerate(document["images"]):
        where = f"images[{i}]"
        _keys(entry, where, ("id", "path", "name", "kind"), ("absolute_path", "wcs_from", "mark", "meta"))
        relative = _text(entry["path"], f"{where}.path")
        absolute = _text(entry.get("absolute_path"), f"{where}.absolute_path", optional=True)
        absolute = absolute and os.path.expanduser(absolute)  # the lab writes a root inside HOME as ~/...
        found = next((p for p in (folder / relative, absolute) if p is not None and Path(p).is_file()), None)
        if found is None:
            missing.append({"id": entry["id"], "name": entry["name"], "path": absolute or str(folder / relative)})
            continue
        clean = {k: v for k, v in entry.items() if k != "absolute_path"}
        images.append({**clean, "path": str(Path(found).resolve())})
    values = {**DEFAULTS, **{k: document[k] for k in VIEW_KEYS if k in document}, "images": images}
    gone = {m["id"] for m in missing}
    if gone:
        values = _without(values, gone, document)
    return check_view(values), missing


def _without(values, gone, document):
    """The view values with the references to the images `gone` cleared."""
    images = [{**e, "wcs_from": None if e.get("wcs_from") in gone else e.get("wcs_from")} for e in values["images"]]
    old = document["images"]
    current = values.get("current", 0)
    current_id = old[current]["id"] if isinstance(current, int) and 0 <= current < len(old) else None
    ids = [e["id"] for e in images]
    selection = values.get("ramp_selection")
    return {
        **values,
        "images": images,
        "current": ids.index(current_id) if current_id in ids else 0,
        "reference": None if values.get("reference") in gone else values.get("reference"),
        "image_display": {k: v for k, v in (values.get("image_display") or {}).items() if k not in gone},
        "ramp_selection": None if selection and selection.get("image") in gone else selection,
    }


def save(path, values):
    """Write the state of view `values` to `path` (atomically: a half-written state never exists)."""
    path = Path(path).expanduser()
    document = to_document(values, path.parent)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(document, indent=1) + "\n")
    tmp.replace(path)
    return path


def load(path):
    """(view values, missing images) of the state file at `path`."""
    path = Path(path).expanduser()
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise StateError(f"{path} does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise StateError(f"{path.name} is not a JSON state file ({err})") from None
    try:
        return from_document(document, path.parent)
    except StateError as err:
        raise StateError(f"{path.name}: {err}") from None
