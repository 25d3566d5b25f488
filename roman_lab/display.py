"""The display of an image as JSON (`{"stretch", "interval", "colormap"}`) and back to astropy.

The browser applies exactly these astropy stretches and intervals on the GPU
(src/viewer/math/stretch.ts), so only what it implements is accepted here; anything else is
refused with a message rather than silently approximated.
"""

from __future__ import annotations

import json
import numbers
from pathlib import Path

STRETCHES = ("linear", "sqrt", "log", "asinh", "sinh", "power", "histeq")
# The stretches whose astropy class takes the parameter `a`, with astropy's defaults
# (PowerStretch has no default: `a` is required).
STRETCH_DEFAULT_A = {"log": 1000.0, "asinh": 0.1, "sinh": 1.0 / 3.0}
INTERVAL_KINDS = ("minmax", "percentile", "asymmetric", "zscale", "manual")
# ZScaleInterval's parameters under the names the browser uses (camelCase), with astropy's defaults.
ZSCALE_OPTIONS = {
    "n_samples": ("nSamples", 1000),
    "contrast": ("contrast", 0.25),
    "max_reject": ("maxReject", 0.5),
    "min_npixels": ("minNpixels", 5),
    "krej": ("krej", 2.5),
    "max_iterations": ("maxIterations", 5),
}
# The colormaps the browser has tables for (src/viewer/math/colormapData.ts), each also `_r`.
COLORMAP_BASES = ("gray", "grey", "viridis", "inferno", "magma", "plasma", "cividis")
COLORMAPS = tuple(name for base in COLORMAP_BASES for name in (base, f"{base}_r"))

# The lab's settings schema (schema/plugin.json), shipped in the package with the frontend; in
# a source tree whose frontend was never built, the schema itself.
SETTINGS_SCHEMAS = (Path(__file__).parent / "labextension" / "schemas" / "roman-lab" / "plugin.json",
                    Path(__file__).parent.parent / "schema" / "plugin.json")


def lab_default_display():
    """The display a new image starts with in the lab, the widget and Python alike: the defaults
    of the lab's settings (defaultStretch, defaultPercentile, defaultColormap)."""
    path = next((p for p in SETTINGS_SCHEMAS if p.is_file()), None)
    if path is None:
        raise FileNotFoundError(f"roman-lab's settings schema is missing (looked for {', '.join(map(str, SETTINGS_SCHEMAS))})")
    settings = json.loads(path.read_text())["properties"]
    return {
        "stretch": {"name": settings["defaultStretch"]["default"]},
        "interval": {"kind": "percentile", "percentile": float(settings["defaultPercentile"]["default"])},
        "colormap": settings["defaultColormap"]["default"],
    }


DEFAULT_DISPLAY = lab_default_display()
# What a state file's display leaves out is filled from these (docs/state.md; the browser reads
# state files the same way): part of the file format, so not the settings above.
STATE_FILE_FILL = {
    "stretch": {"name": "linear"},
    "interval": {"kind": "percentile", "percentile": 99.5},
    "colormap": "gray",
}


def _number(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number, not {value!r}")
    return float(value)


# ------------------------------------------------------------------------------- stretches
def stretch_spec(stretch):
    """The JSON spec of an astropy stretch object or a stretch name ('log', 'asinh', ...)."""
    from astropy import visualization as vis

    if isinstance(stretch, str):
        name = stretch.lower().removesuffix("stretch")
        if name not in STRETCHES:
            raise ValueError(f"Stretch {stretch!r} is not valid: use one of {', '.join(STRETCHES)}")
        if name == "power":
            raise ValueError("the power stretch needs its exponent: use PowerStretch(a) or {'name': 'power', 'a': a}")
        return {"name": name}
    if isinstance(stretch, dict):
        return check_stretch(stretch)
    if not isinstance(stretch, vis.BaseStretch):
        raise TypeError(f"Stretch option {stretch!r} is not valid. Must be an `astropy.visualization` Stretch object.")
    kind = type(stretch)
    if kind is vis.LinearStretch:
        if stretch.slope != 1 or stretch.intercept != 0:
            raise ValueError("the viewer shows LinearStretch() only (slope 1, intercept 0); use cuts to scale")
        return {"name": "linear"}
    if kind is vis.SqrtStretch:
        return {"name": "sqrt"}
    if kind is vis.HistEqStretch:
        return {"name": "histeq"}
    simple = {vis.LogStretch: "log", vis.AsinhStretch: "asinh", vis.SinhStretch: "sinh", vis.PowerStretch: "power"}
    if kind in simple:
        return {"name": simple[kind], "a": float(stretch.a)}
    raise ValueError(
        f"the viewer cannot show {kind.__name__}; it shows astropy's "
        + ", ".join(f"{n.capitalize()}Stretch" for n in STRETCHES if n != "histeq")
        + " and HistEqStretch"
    )


def check_stretch(spec):
    """A validated copy of a stretch spec {"name", "a"?}."""
    if not isinstance(spec, dict) or spec.get("name") not in STRETCHES:
        raise ValueError(f"stretch must be {{'name': one of {', '.join(STRETCHES)}}}, not {spec!r}")
    out = {"name": spec["name"]}
    if "a" in spec and spec["a"] is not None:
        out["a"] = _number(spec["a"], "the stretch parameter a")
    if out["name"] == "power" and "a" not in out:
        raise ValueError("the power stretch needs its exponent 'a'")
    return out


def stretch_object(spec, data=None):
    """The astropy stretch of a spec; HistEqStretch needs the image `data`."""
    import numpy as np
    from astropy import visualization as vis

    name, a = spec["name"], spec.get("a")
    if name == "linear":
        return vis.LinearStretch()
    if name == "sqrt":
        return vis.SqrtStretch()
    if name == "histeq":
        # astropy's HistEqStretch takes the data it equalises; without data, an identity table
        return vis.HistEqStretch(np.asarray(data if data is not None else [0.0, 1.0], dtype=float))
    cls = {"log": vis.LogStretch, "asinh": vis.AsinhStretch, "sinh": vis.SinhStretch, "power": vis.PowerStretch}[name]
    return cls(a) if a is not None else cls()


# ------------------------------------------------------------------------------- intervals
def interval_spec(cuts):
    """The JSON spec of cuts: a (vmin, vmax) pair, a percentile number, "zscale", "minmax",
    or an astropy interval object."""
    from astropy import visualization as vis

    if isinstance(cuts, dict):
        return check_interval(cuts)
    if isinstance(cuts, str):
        if cuts.lower() in ("zscale", "minmax"):
            return {"kind": cuts.lower()}
        raise ValueError(f"cuts {cuts!r} must be 'zscale', 'minmax', a percentile, a (vmin, vmax) pair or an astropy interval")
    if isinstance(cuts, (tuple, list)):
        if len(cuts) != 2:
            raise TypeError("Cuts must be an Astropy.visualization Interval object or a tuple of two values.")
        vmin, vmax = (_number(v, "each cut") for v in cuts)
        return {"kind": "manual", "vmin": vmin, "vmax": vmax}
    if isinstance(cuts, numbers.Real) and not isinstance(cuts, bool):
        return check_interval({"kind": "percentile", "percentile": cuts})
    if not isinstance(cuts, vis.BaseInterval):
        raise TypeError("Cuts must be an Astropy.visualization Interval object or a tuple of two values.")
    kind = type(cuts)
    if kind is vis.MinMaxInterval:
        return {"kind": "minmax"}
    if kind is vis.PercentileInterval:
        return {"kind": "percentile", "percentile": float(cuts.upper_percentile - cuts.lower_percentile)}
    if kind is vis.AsymmetricPercentileInterval:
        return {"kind": "asymmetric", "lower": float(cuts.lower_percentile), "upper": float(cuts.upper_percentile)}
    if kind is vis.ManualInterval:
        spec = {"kind": "manual"}
        for key in ("vmin", "vmax"):
            if getattr(cuts, key) is not None:
                spec[key] = float(getattr(cuts, key))
        return spec
    if kind is vis.ZScaleInterval:
        spec = {"kind": "zscale"}
        for attribute, (key, default) in ZSCALE_OPTIONS.items():
            if getattr(cuts, attribute) != default:
                spec[key] = getattr(cuts, attribute)
        return spec
    raise ValueError(f"the viewer cannot show {kind.__name__}; it shows MinMax, Percentile, AsymmetricPercentile, ZScale and Manual intervals")


def check_interval(spec):
    """A validated copy of an interval spec."""
    kind = spec.get("kind") if isinstance(spec, dict) else None
    if kind not in INTERVAL_KINDS:
        raise ValueError(f"interval must be {{'kind': one of {', '.join(INTERVAL_KINDS)}, ...}}, not {spec!r}")
    out = {"kind": kind}
    if kind == "percentile":
        p = _number(spec.get("percentile"), "the percentile")
        if not 0 < p <= 100:
            raise ValueError(f"the percentile must be in (0, 100], not {p}")
        out["percentile"] = p
    elif kind == "asymmetric":
        lower, upper = _number(spec.get("lower"), "lower"), _number(spec.get("upper"), "upper")
        if not 0 <= lower < upper <= 100:
            raise ValueError(f"asymmetric percentiles need 0 <= lower < upper <= 100, not {lower}, {upper}")
        out.update(lower=lower, upper=upper)
    elif kind == "manual":
        for key in ("vmin", "vmax"):
            if spec.get(key) is not None:
                out[key] = _number(spec[key], key)
    elif kind == "zscale":
        for key, _default in ZSCALE_OPTIONS.values():
            if key in spec:
                out[key] = _number(spec[key], f"zscale {key}")
    return out


def interval_object(spec):
    """The astropy interval of a spec."""
    from astropy import visualization as vis

    kind = spec["kind"]
    if kind == "minmax":
        return vis.MinMaxInterval()
    if kind == "percentile":
        return vis.PercentileInterval(spec["percentile"])
    if kind == "asymmetric":
        return vis.AsymmetricPercentileInterval(spec["lower"], spec["upper"])
    if kind == "manual":
        return vis.ManualInterval(spec.get("vmin"), spec.get("vmax"))
    options = {attribute: spec[key] for attribute, (key, _default) in ZSCALE_OPTIONS.items() if key in spec}
    for attribute in ("n_samples", "min_npixels", "max_iterations"):
        if attribute in options:
            options[attribute] = int(options[attribute])
    return vis.ZScaleInterval(**options)


# ------------------------------------------------------------------------------- limits
# The one way, in Python, to get interval limits from a store's statistics (its `roman_lab`
# attribute `statistics`, docs/store-format.md); the browser's is percentileLimits in
# src/viewer/stackImage.ts, with the same knots and the same interpolation.
def ranked_knots(statistics):
    """(percents, values) of a store's statistics, increasing in percent, to interpolate in rank.

    The 1025 evenly ranked `quantiles` and the dense `tail_quantiles` (ranks 0-2 and 98-100
    every 0.01) when the store has them; rank 0 and 100 are the exact min and max. Stores
    written before `quantiles` existed have only the sparse `percentiles` (0.5, 1, 5, 50, 95,
    99, 99.5, 99.9): those, with min and max, are the fallback.
    """
    import numpy as np

    lo, hi = statistics.get("min"), statistics.get("max")
    if lo is None or hi is None:
        return None
    quantiles = statistics.get("quantiles")
    if quantiles and len(quantiles) >= 2:
        percents = list(np.linspace(0.0, 100.0, len(quantiles)))
        values = list(quantiles)
        tails = statistics.get("tail_quantiles")
        if tails and tails.get("percentiles") and len(tails["percentiles"]) == len(tails.get("values") or ()):
            percents += list(tails["percentiles"])
            values += list(tails["values"])
    else:
        pairs = [(float(q), v) for q, v in (statistics.get("percentiles") or {}).items() if v is not None]
        percents = [q for q, _ in pairs]
        values = [v for _, v in pairs]
    percents = np.asarray([0.0, 100.0] + percents, dtype=np.float64)
    values = np.asarray([lo, hi] + values, dtype=np.float64)
    # the exact ends first: np.unique keeps the first of equal percents
    percents, first = np.unique(percents, return_index=True)
    return percents, values[first]


def percentile_limits(statistics, lower, upper):
    """(vmin, vmax) at percentiles `lower` and `upper` (0-100) of the image a store's statistics
    describe, as numpy.percentile of its finite pixels (astropy's AsymmetricPercentileInterval;
    PercentileInterval(p) is lower = (100 - p) / 2, upper = 100 - lower): interpolated in rank
    between the stored knots, within 0.1 percentile rank of the exact values (tested against
    astropy on heavy-tailed images). None when the image has no finite pixel."""
    import numpy as np

    knots = ranked_knots(statistics)
    if knots is None:
        return None
    percents, values = knots
    vmin, vmax = np.interp([float(lower), float(upper)], percents, values)
    return float(vmin), float(vmax)


def interval_limits(spec, statistics):
    """(vmin, vmax) of an interval spec for the image a store's statistics describe, or None
    when they do not determine it (zscale with other parameters, a manual interval missing a
    bound, an image without finite pixels): then astropy needs the pixels."""
    spec = check_interval(spec)
    kind = spec["kind"]
    if kind == "manual":
        return (spec["vmin"], spec["vmax"]) if "vmin" in spec and "vmax" in spec else None
    if statistics is None or statistics.get("min") is None:
        return None
    if kind == "percentile":
        lower = (100.0 - spec["percentile"]) / 2.0
        return percentile_limits(statistics, lower, 100.0 - lower)
    if kind == "asymmetric":
        return percentile_limits(statistics, spec["lower"], spec["upper"])
    if kind == "minmax":
        return float(statistics["min"]), float(statistics["max"])
    if len(spec) == 1 and statistics.get("zscale"):
        return tuple(float(v) for v in statistics["zscale"])
    return None


# ------------------------------------------------------------------------------- colormaps
def check_colormap(name):
    if name not in COLORMAPS:
        raise ValueError(f"Colormap {name!r} is not a valid colormap for this viewer: use one of {', '.join(COLORMAPS)}")
    return name


def check_display(display):
    """A validated, complete copy of a display {"stretch", "interval", "colormap"}; missing parts
    from `STATE_FILE_FILL`."""
    if not isinstance(display, dict):
        raise ValueError(f"a display must be a dict with stretch, interval and colormap, not {display!r}")
    unknown = set(display) - set(STATE_FILE_FILL)
    if unknown:
        raise ValueError(f"unknown display keys {sorted(unknown)}; a display has stretch, interval and colormap")
    merged = {**STATE_FILE_FILL, **display}
    return {
        "stretch": check_stretch(merged["stretch"]),
        "interval": check_interval(merged["interval"]),
        "colormap": check_colormap(merged["colormap"]),
    }
