"""Metadata values (astropy Time, numpy scalars, Quantities, Roman placeholders) as JSON values."""

from __future__ import annotations

import math

import numpy as np

PLACEHOLDERS = (-999999, -999999.0, "?", "", "N/A")  # what Roman metadata holds for "unknown"


def json_value(value):
    """JSON-able python value; Roman placeholders (-999999, '?') become None."""
    from astropy.time import Time

    if isinstance(value, Time):
        try:
            return value.utc.isot
        except Exception:  # noqa: BLE001 - a strange scale: keep its own string
            return str(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        if not isinstance(value, bool) and value in PLACEHOLDERS:
            return None
        return value
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, np.ndarray) and value.size <= 1024:
        return json_value(value.tolist())
    if hasattr(value, "value") and hasattr(value, "unit"):  # astropy Quantity
        return json_value(np.asarray(value.value).tolist())
    return str(value)
