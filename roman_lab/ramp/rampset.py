"""`RampSet`: the ramps of the pixels in a circle, their normalised differences and jumps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .extract import RampCube
from .jumps import JumpResult


@dataclass
class RampSet:
    """Ramps of N pixels x n resultants with their jump test (see `roman_lab.ramps`).

    saturated: (N, n) bool, resultants at or after saturation (never tested for jumps);
    read_noise (DN per read) and gain (e-/DN) the noise model used, `noise_source` says where
    they came from; threshold: the significance (sigma) from which a step is a jump.
    """

    cube: RampCube
    result: JumpResult
    saturated: np.ndarray
    threshold: float
    read_noise: float
    gain: float
    noise_source: str

    # -- the arrays ---------------------------------------------------------------------------
    pixels = property(lambda self: self.cube.pixels, doc="(N, 2) L2 science pixel (x, y)")
    times = property(lambda self: self.cube.times, doc="(n,) mean time of each resultant, s since reset")
    counts = property(lambda self: self.cube.counts, doc="(N, n) resultants, DN")
    read_pattern = property(lambda self: self.cube.read_pattern)
    l2_path = property(lambda self: self.cube.l2_path)
    l1_path = property(lambda self: self.cube.l1_path)
    note = property(lambda self: self.cube.note)
    summary = property(lambda self: self.cube.summary, doc="the L2's metadata summary (detector, start_time, ...)")
    significance = property(lambda self: self.result.significance,
                            doc="(N, n-1) step test of each difference in sigma, NaN where untestable")
    inside_significance = property(lambda self: self.result.inside_significance,
                                   doc="(N, n) test of a hit between the reads of each resultant (its best "
                                       "two-difference template), sigma, NaN where there is none")

    @property
    def diffs(self):
        """(N, n-1) successive resultant differences R_k - R_(k-1), DN."""
        return np.diff(self.counts, axis=1)

    @property
    def rates(self):
        """(N, n-1) rate of each difference, DN/s."""
        return self.diffs / np.diff(self.times)

    @property
    def pipeline_flagged(self):
        """(N,) bool: the L2 DQ of the pixel has JUMP_DET (the pipeline found a jump there)."""
        if self.cube.dq is None:
            return np.zeros(len(self.pixels), bool)
        from roman_datamodels.dqflags import pixel as pixel_dq  # here: a 0.4 s import

        return (self.cube.dq & pixel_dq.JUMP_DET) != 0

    def flagged_at(self, pixel, resultant):
        """(E,) bool: the pipeline flagged a jump there. Where the L2 records its jumps
        (`jump_indices`), at that pixel and resultant; else the pixel's DQ JUMP_DET, which
        cannot say which resultant."""
        pixel, resultant = np.asarray(pixel, int), np.asarray(resultant, int)
        recorded = self.cube.pipeline_jumps
        if recorded is None:
            return self.pipeline_flagged[pixel]
        n = self.counts.shape[1]
        return np.isin(pixel * n + resultant, recorded[:, 0] * n + recorded[:, 1])

    def __len__(self):
        return len(self.pixels)

    # -- jumps --------------------------------------------------------------------------------
    def _events(self):
        """The events (`jumps.select_events`, one per cosmic ray) and steps into saturation,
        strongest first: dict of (E,) arrays."""
        events = self.result.events
        order = np.argsort(-events["significance"], kind="stable")
        return {key: values[order] for key, values in events.items()}

    @property
    def jumps(self):
        """astropy Table, one row per jump event (one per cosmic ray), strongest first: pixel
        (index), x, y, resultant (where it happened: the resultant whose reads the hit fell
        between, or the later resultant of a step between two resultants), first_difference and
        n_differences (the differences it explains, index k - 1 for the one into resultant k:
        a hit inside resultant k explains k - 1 and k), significance (sigma), amplitude_dn (the
        whole jump), fraction_after (of the resultant's reads after the hit; 1 between
        resultants), pipeline_flagged (`flagged_at`: the L2's recorded jump there, or its DQ
        JUMP_DET), saturated (a step into the
        pixel's first saturated resultant: shown, but not a jump, since the saturated value is
        only a lower bound)."""
        from astropy.table import Table

        events = self._events()
        pixel = events["pixel"]
        return Table(
            {
                "pixel": pixel,
                "x": self.pixels[pixel, 0],
                "y": self.pixels[pixel, 1],
                "resultant": events["resultant"],
                "first_difference": events["first"],
                "n_differences": events["count"],
                "significance": events["significance"],
                "amplitude_dn": events["amplitude"],
                "fraction_after": events["fraction"],
                "pipeline_flagged": self.flagged_at(pixel, events["resultant"]),
                "saturated": events["saturated"],
            }
        )

    def to_table(self):
        """astropy Table, one row per pixel: x, y, counts and significance (vector columns), the
        strongest step, the number of jumps (events), pipeline_flagged, saturated."""
        from astropy.table import Table

        with np.errstate(all="ignore"):
            strongest = np.nanmax(np.where(np.isnan(self.significance), -np.inf, self.significance), axis=1)
        return Table(
            {
                "x": self.pixels[:, 0],
                "y": self.pixels[:, 1],
                "counts": self.counts,
                "significance": self.significance,
                "max_significance": np.where(np.isinf(strongest), np.nan, strongest),
                "n_jumps": self.result.n_events,
                "pipeline_flagged": self.pipeline_flagged,
                "saturated": self.saturated.any(axis=1),
            }
        )

    # -- showing ------------------------------------------------------------------------------
    def __repr__(self):
        n, k = self.counts.shape
        everything = self.jumps
        jumps = everything[~everything["saturated"]]
        flagged = int(np.sum(jumps["pipeline_flagged"]))
        into = len(everything) - len(jumps)
        lines = [
            f"RampSet: {n} pixels x {k} resultants of {Path(self.l2_path).name} (L1 {Path(self.l1_path).name})",
            f"  threshold {self.threshold:.2f} sigma; read noise {self.read_noise:.2f} DN, gain {self.gain:.2f} e-/DN "
            f"({self.noise_source})",
            f"  {len(jumps)} jump{'s' if len(jumps) != 1 else ''}: {flagged} flagged by the pipeline, "
            f"{len(jumps) - flagged} not" + (f"; {into} step{'s' if into != 1 else ''} into saturation" if into else ""),
        ]
        for row in everything[:10]:
            inside = row["n_differences"] == 2
            lines.append(f"    pixel ({row['x']}, {row['y']}) {'inside ' if inside else ''}resultant {row['resultant']}"
                         f"{' (2 differences)' if inside else ''}: "
                         f"{row['significance']:.1f} sigma, {row['amplitude_dn']:.0f} DN"
                         f"{' (pipeline-flagged)' if row['pipeline_flagged'] else ''}"
                         f"{' (into saturation: not a jump)' if row['saturated'] else ''}")
        if len(everything) > 10:
            lines.append(f"    ... {len(everything) - 10} more (.jumps)")
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Counts against time for every pixel, jumps marked (pipeline-flagged: red circles; found
        only here: orange stars), and the normalised differences with the threshold below.
        Needs matplotlib; returns the figure."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as err:
            raise ImportError("RampSet.plot needs matplotlib (pip install matplotlib)") from err
        if ax is None:
            fig, (ramp_ax, sig_ax) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, height_ratios=[2, 1])
        else:
            ramp_ax, sig_ax, fig = ax[0], ax[1], ax[0].figure
        t = self.times
        mid = 0.5 * (t[1:] + t[:-1])
        ramp_ax.plot(t, self.counts.T, color="0.6", lw=0.6, alpha=0.7)
        sig_ax.plot(mid, self.significance.T, color="0.6", lw=0.6, alpha=0.7)
        events = self._events()
        pixel, resultant, saturated = events["pixel"], events["resultant"], events["saturated"]
        inside = events["count"] == 2
        flagged = self.flagged_at(pixel, resultant)
        for chosen, style in ((flagged & ~saturated, dict(marker="o", color="tab:red", label="jump, pipeline-flagged")),
                              (~flagged & ~saturated, dict(marker="*", color="tab:orange", s=90,
                                                           label="jump, not flagged")),
                              (saturated, dict(marker="s", facecolor="none", edgecolor="tab:purple",
                                               label="step into saturation"))):
            if not chosen.any():
                continue
            p, k = pixel[chosen], resultant[chosen]
            ramp_ax.scatter(t[k], self.counts[p, k], zorder=3, **style)
            # a hit inside resultant k at its time, between its two differences
            sig_ax.scatter(np.where(inside[chosen], t[k], mid[k - 1]), events["significance"][chosen], zorder=3, **style)
        sig_ax.axhline(self.threshold, color="k", ls="--", lw=0.8, label=f"threshold {self.threshold:.2f} sigma")
        ramp_ax.set_ylabel("counts (DN)")
        sig_ax.set_ylabel("step significance (sigma)")
        sig_ax.set_xlabel("time since reset (s)")
        ramp_ax.set_title(f"{Path(self.l2_path).name}: {len(self)} pixels")
        ramp_ax.legend(loc="upper left", fontsize="small")
        sig_ax.legend(loc="upper left", fontsize="small")
        return fig

    # -- JSON ---------------------------------------------------------------------------------
    def to_json(self, root=None):
        """The HTTP payload (docs/rest.md, `GET /roman-lab/api/ramps`): compact, floats rounded,
        NaN as null; paths relative to `root` when given (a bare file name outside it)."""
        events = self._events()
        flagged = self.flagged_at(events["pixel"], events["resultant"])
        sat_pixel, sat_resultant = np.nonzero(self.saturated)
        recorded = self.cube.pipeline_jumps
        return {
            "l2_path": _relative(self.l2_path, root),
            "l1_path": _relative(self.l1_path, root),
            "times": _rounded(self.times, 4),
            "read_pattern": self.read_pattern,
            "pixels": self.pixels.tolist(),
            "counts": _rounded(self.counts, 1),
            "significance": _rounded(self.significance, 2),
            "inside_significance": _rounded(self.inside_significance, 2),
            "threshold": round(float(self.threshold), 3),
            "read_noise": round(float(self.read_noise), 3),
            "gain": round(float(self.gain), 3),
            "note": self.note,
            "jumps": [
                {
                    "pixel": int(i),
                    "x": int(self.pixels[i, 0]),
                    "y": int(self.pixels[i, 1]),
                    "resultant": int(k),
                    "differences": list(range(int(first), int(first) + int(count))),
                    "significance": round(float(sig), 2),
                    "pipeline_flagged": bool(flag),
                    "saturated": bool(sat),
                }
                for i, k, first, count, sig, flag, sat in zip(
                    events["pixel"], events["resultant"], events["first"], events["count"], events["significance"],
                    flagged, events["saturated"])
            ],
            "pipeline_jumps": None if recorded is None else recorded.tolist(),
            "saturated": [[int(i), int(k)] for i, k in zip(sat_pixel, sat_resultant)],
        }


def _rounded(values, digits):
    """Nested lists of floats rounded to `digits`, NaN as None (JSON null); whole numbers as ints."""
    array = np.round(np.asarray(values, float), digits)
    if np.all(np.isfinite(array)) and np.all(array == np.rint(array)):
        return array.astype(np.int64).tolist()
    out = array.astype(object)
    out[~np.isfinite(array)] = None
    return out.tolist()


def _relative(path, root):
    if root is None:
        return str(path)
    path, root = Path(path).resolve(), Path(root).resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
