"""Shared helpers: turn a Roman file's summary into the fields of an `Exposure`."""

from __future__ import annotations


def _str(value):
    return None if value is None else str(value)


def exposure_fields(summary):
    """The metadata fields of an Exposure from `RomanFile.summary` (a dict)."""
    s = summary or {}
    exptime = s.get("exposure_time")
    try:
        exptime = None if exptime is None else float(exptime)
    except (TypeError, ValueError):
        exptime = None
    return {
        "exposure_id": _str(s.get("exposure_id") or s.get("observation_id")),
        "start_time": _str(s.get("start_time")),
        "exposure_time": exptime,
        "detector": _str(s.get("detector")),
        "optical_element": _str(s.get("optical_element")),
        "program": _str(s.get("program")),
        "visit": _str(s.get("visit_id") or s.get("visit")),
    }
