"""The one saved-view format shared by the notebook `Viewer` and the lab document viewer.

A versioned JSON document (`{"format": "roman-lab-view", "version": 1, ...}`, conventionally
`NAME.romanview.json`; every key is in docs/state.md). Image paths are stored relative to
the state file's folder, so a folder of data and its state files can move together, with
the absolute path as a fallback. Restoring re-opens images by path; images whose file is
gone are listed and left out, the rest is restored. A newer version is refused.

Also the validation of the viewer's JSON values, used for the widget's traits too.
"""

from __future__ import annotations

import functools
import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path

from .display import check_display

FORMAT = "roman-lab-view"
VERSION = 1
MARKS = (None, "suspicious")  # as the schema's image mark
KINDS = ("exposure", "mosaic", "ramp", "user")  # as the schema's image kind
MARKERS = ("circle", "square", "crosshair", "plus", "diamond")  # as the schema's catalog marker
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


SCHEMA_PATH = Path(__file__).parent / "schemas" / "romanview.schema.json"


@functools.cache
def _validator(definition):
    """A jsonschema validator of the state schema (`definition`: one of its $defs, None: a document)."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text())
    if definition is not None:
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    return jsonschema.Draft202012Validator(schema)


def check_schema(value, definition, where=""):
    """Raise StateError, saying where and why, when `value` does not follow the state schema."""
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator(definition).iter_errors(value))
    if error is not None:
        raise StateError(f"{_where(where, error.absolute_path)}: {error.message}")
    nan = _nan_path(value)
    if nan is not None:  # JSON has no NaN, so its schema cannot refuse one: a Python value's is refused here
        raise StateError(f"{_where(where, nan)}: must be a finite number, not nan")


def _where(where, path):
    return (where + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path)).lstrip(".") or "the state"


def _nan_path(value, path=()):
    """The path of the first NaN in a JSON-like value, None when there is none."""
    if isinstance(value, float):
        return path if math.isnan(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return next((p for k, v in items if (p := _nan_path(v, (*path, k))) is not None), None)


# --------------------------------------------------------------------------- the values
def check_image(entry, where="image", *, schema=True):
    """A validated, complete copy of one stack entry (missing optional keys get defaults).
    schema=False: the caller checked it against the schema already (a whole list or document)."""
    if schema:
        check_schema(entry, "image", where)
    meta = entry.get("meta") or {}
    return {
        "id": entry["id"],
        "path": entry["path"],
        "name": entry["name"],
        "kind": entry["kind"],
        "wcs_from": entry.get("wcs_from"),
        "mark": entry.get("mark"),
        "meta": {"time": meta.get("time"), "detector": meta.get("detector"), "level": meta.get("level")},
    }


_VALID_IMAGES = set()  # JSON texts of stack entries that passed the schema (jsonschema: ~0.2 ms an entry)


_IMAGE_KEYS = {"id", "path", "absolute_path", "name", "kind", "wcs_from", "mark", "meta"}
_TEXT_KEYS = ("id", "path", "name")
_OPTIONAL_TEXT_KEYS = ("absolute_path", "wcs_from")


def _text(value, optional=False):
    return (type(value) is str and len(value) >= 1) or (optional and value is None)


def _plainly_valid_image(entry):
    """True when an entry is plainly valid under the schema's `image` (the entries `Viewer.load`
    makes): checked in Python, because `import jsonschema` costs 1-2 s in a fresh kernel (its
    format checkers compile grammars at import), paid at the first `load`. False is no verdict:
    the schema decides, and says why."""
    if type(entry) is not dict or not entry.keys() <= _IMAGE_KEYS:
        return False
    if not all(_text(entry.get(k, 0)) for k in _TEXT_KEYS) or entry.get("kind") not in KINDS:
        return False
    if not all(_text(entry[k], optional=True) for k in _OPTIONAL_TEXT_KEYS if k in entry):
        return False
    if entry.get("mark") not in MARKS or type(entry.get("kind")) is not str:
        return False
    meta = entry.get("meta")
    if meta is None:
        return True
    if type(meta) is not dict or not meta.keys() <= {"time", "detector", "level"}:
        return False
    level = meta.get("level")
    return (all(_text(meta[k], optional=True) for k in ("time", "detector") if k in meta)
            and (level is None or type(level) is int and level in (1, 2, 3)))


def _check_image_schema(entry, where):
    """The schema check of one entry, once per distinct entry: a stack of a hundred is set again
    at every change (load, mark, reorder), and all but the changed entries were checked before."""
    if _plainly_valid_image(entry):
        return
    try:
        text = json.dumps(entry, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        text = None  # not JSON: the schema check says what is wrong
    if text is None or text not in _VALID_IMAGES:
        check_schema(entry, "image", where)
        if text is not None:
            if len(_VALID_IMAGES) > 100_000:
                _VALID_IMAGES.clear()
            _VALID_IMAGES.add(text)


def check_images(images, where="images", *, schema=True):
    if schema:
        if not isinstance(images, list):
            check_schema(images, "images", where)
        for i, entry in enumerate(images):
            _check_image_schema(entry, f"{where}[{i}]")
    out = [check_image(entry, f"{where}[{i}]", schema=False) for i, entry in enumerate(images)]
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
    check_schema(center, "center", where)
    if center is None:
        return None
    if "ra" in center:
        return {"ra": float(center["ra"]) % 360.0, "dec": float(center["dec"])}
    return {"x": float(center["x"]), "y": float(center["y"])}


def check_region(region, where="region"):
    check_schema(region, "region", where)
    out = check_center({"ra": region["ra"], "dec": region["dec"]}, where)
    out["radius_arcsec"] = float(region["radius_arcsec"])
    if region.get("id") is not None:
        out["id"] = str(region["id"])
    return out


def check_catalog(catalog, where="catalog"):
    check_schema(catalog, "catalog", where)
    style = catalog["style"]
    return {
        "points": [{k: float(v) for k, v in p.items()} for p in catalog["points"]],
        "style": {"color": style["color"], "size": float(style["size"]), "marker": style["marker"]},
        "frame": catalog.get("frame"),
    }


def check_display_value(display, where):
    try:
        return check_display(display)
    except ValueError as err:
        raise StateError(f"{where}: {err}") from None


def check_view(values, *, schema=True):
    """A validated copy of the view values (VIEW_KEYS) of a state, the state schema's defaults
    filled in; references between them (current, reference, image_display, ramp_selection) are
    checked against the images. schema=False: they come from a document checked already."""
    values = {**DEFAULTS, "display": {}, **values}
    if schema:
        check_schema({"format": FORMAT, "version": VERSION, **{k: values[k] for k in VIEW_KEYS}}, None)
    images = check_images(values["images"], schema=False)  # the document's schema covered them
    ids = {e["id"] for e in images}
    current = values["current"]
    if current >= max(len(images), 1):
        raise StateError(f"current: must be an image index in [0, {max(len(images) - 1, 0)}], not {current!r}")
    references = [("reference", values["reference"]), *((f"image_display[{k!r}]", k) for k in values["image_display"]),
                  ("ramp_selection.image", (values["ramp_selection"] or {}).get("image"))]
    for where, image_id in references:
        if image_id is not None and image_id not in ids:
            raise StateError(f"{where}: {image_id!r} is not the id of an image in the state")
    selection, zoom = values["ramp_selection"], values["zoom_level"]
    return {
        "images": images,
        "current": current,
        "reference": values["reference"],
        "display": check_display_value(values["display"], "display"),
        "sync_stretch": values["sync_stretch"],
        "limits": values["limits"],
        "image_display": {k: check_display_value(v, f"image_display[{k!r}]") for k, v in values["image_display"].items()},
        "center": check_center(values["center"]),
        "zoom_level": None if zoom is None else float(zoom),
        "regions": [check_region(r, f"regions[{i}]") for i, r in enumerate(values["regions"])],
        "catalogs": {str(k): check_catalog(v, f"catalogs[{k!r}]") for k, v in values["catalogs"].items()},
        "blink_interval": float(values["blink_interval"]),
        "dq_overlay": values["dq_overlay"],
        "ramp_selection": None if selection is None else {"image": selection["image"], "region": str(selection["region"])},
    }


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
    check_schema(document, None)
    folder = Path(folder).resolve()
    images, missing = [], []
    for entry in document["images"]:
        relative, absolute = entry["path"], entry.get("absolute_path")
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
    return check_view(values, schema=False), missing  # the document was checked against the schema above


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
