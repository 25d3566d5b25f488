"""`POST /roman-lab/api/triage`: `roman_lab.triage` over HTTP, for the lab's "Triage ramps".

The lab sends the exposures of its stack a few at a time (its progress bar moves between
requests, and it can stop between them); each answer has one row per exposure, in the order
sent, with root-relative paths.
"""

import json
import math

import tornado
from jupyter_server.auth.decorator import authorized

from .errors import RomanHTTPError
from .handlers import RomanAPIHandler, http_circle, root_relative

MAX_PATHS = 200  # per request: a hundred exposures over one point, twice
USAGE = ('The request body must be JSON like {"paths": ["a_cal.asdf", ...], "ra": 187.3, "dec": 12.4, '
         '"radius_arcsec": 2, "threshold": 4.5} (threshold optional).')


class TriageHandler(RomanAPIHandler):
    """One row per exposure: pixels in the circle, pipeline-flagged and unflagged jumps, the
    strongest unflagged one (sigma, pixel, resultant), saturated pixels, a note when it could not
    be triaged (no L1, not a Roman L2)."""

    @tornado.web.authenticated
    @authorized
    async def post(self):
        body = self.json_body(USAGE)
        if not isinstance(body, dict) or not isinstance(body.get("paths"), list):
            raise RomanHTTPError(400, USAGE)
        paths = body["paths"]
        if not 0 < len(paths) <= MAX_PATHS or not all(isinstance(p, str) for p in paths):
            raise RomanHTTPError(400, f"Give 1 to {MAX_PATHS} file paths (strings) per request, got {len(paths)}.")
        try:
            ra, dec, radius = (float(body[k]) for k in ("ra", "dec", "radius_arcsec"))
            threshold = body.get("threshold")
            threshold = None if threshold is None else float(threshold)
        except (KeyError, TypeError, ValueError) as err:
            raise RomanHTTPError(400, USAGE) from err
        if threshold is not None and not (0 < threshold < math.inf):
            raise RomanHTTPError(400, f"The threshold is a positive number of sigma, got {threshold}.")
        circle = http_circle(ra, dec, radius)
        reals = []
        for rel in paths:
            real = self.resolve(rel)
            if not real.is_file():
                raise RomanHTTPError(400, f"{rel} is a folder, not a Roman file.")
            reals.append(real)
        rows = await tornado.ioloop.IOLoop.current().run_in_executor(
            None, triage_for_http, reals, paths, circle, threshold, self.root, self.settings["roman_lab_cache_dir"])
        self.finish(json.dumps({"rows": rows}, separators=(",", ":")))


def triage_for_http(reals, rels, circle, threshold, root, cache_dir):
    """The triage rows in the order of `rels`, JSON-ready: NaN as null, paths root-relative."""
    from ..ramp.triage import triage

    table = triage(circle, reals, threshold, cache_dir=cache_dir, progress=False)
    by_path = {}
    for row in table:
        item = {name: row[name].item() if hasattr(row[name], "item") else row[name]
                for name in table.colnames if name != "unflagged_pixels"}
        sig = item["max_unflagged_significance"]
        item["max_unflagged_significance"] = sig if math.isfinite(sig) else None
        item["unflagged_pixels"] = [[int(x), int(y)] for x, y in row["unflagged_pixels"]]
        item["note"] = root_relative(item["note"], root)
        for key in ("l2_path", "l1_path"):
            item[key] = root_relative(item[key], root)
        by_path[row["l2_path"]] = item
    return [{**by_path[str(real)], "path": rel} for real, rel in zip(reals, rels, strict=True)]
