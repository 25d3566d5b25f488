"""What every exposure source answers with: `Exposure` records in an `ExposureList`, and the
`Archive` interface the lineage, local (SQLite) and MAST sources implement."""

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class Exposure:
    """One Level 2 exposure that covers a sky region."""

    name: str  # file name, e.g. r0004201001001001001_0001_wfi02_f158_cal.asdf
    source: str  # "lineage" | "local" | "mast"
    path: str | None = None  # local file, when there is one
    uri: str | None = None  # remote product (MAST dataURI), when there is one
    exposure_id: str | None = None
    start_time: str | None = None  # ISO 8601 UTC
    exposure_time: float | None = None  # seconds
    detector: str | None = None  # WFI01 ... WFI18
    optical_element: str | None = None  # F158 ...
    program: str | None = None
    visit: str | None = None
    x: float | None = None  # the region centre in this exposure's pixels (0-based), when known
    y: float | None = None
    coverage: str = "partial"  # "full": the whole circle is on the detector; "partial": part of it
    contributing: bool | None = None  # lineage only: its pixels went into the mosaic there

    @property
    def local(self):
        return self.path is not None and Path(self.path).exists()

    def to_dict(self):
        return {**asdict(self), "local": self.local}


class ExposureList(list):
    """The exposures found for a region, sorted by start time; a list that also shows itself
    as a table in a notebook and converts to an astropy Table. `message` says why it is empty."""

    def __init__(self, exposures=(), message="", archive=None):
        super().__init__(sorted(exposures, key=lambda e: (e.start_time or "", e.name)))
        self.message = message
        self.archive = archive

    def to_table(self):
        from astropy.table import Table

        names = [f.name for f in fields(Exposure)] + ["local"]
        return Table(rows=[[e.to_dict()[n] for n in names] for e in self] or None, names=names)

    def _repr_html_(self):
        if not self:
            return f"<p>No exposures. {self.message}</p>"
        return self.to_table()[["name", "start_time", "detector", "optical_element", "coverage", "x", "y", "local"]]._repr_html_()

    def __repr__(self):
        if not self:
            return f"ExposureList([]) — {self.message}"
        return f"ExposureList of {len(self)} exposures:\n" + "\n".join(
            f"  {e.start_time or '?':24} {e.detector or '?':6} {e.coverage:7} {e.name}" for e in self
        )

    def download(self, directory, progress=True):
        """Local paths of every exposure, fetching remote ones into `directory` (MAST)."""
        if self.archive is None:
            return [Path(e.path) for e in self]
        return self.archive.download(self, directory, progress=progress)


class Archive(ABC):
    """A source of exposures: given a sky circle, every L2 exposure that covers it."""

    name = "archive"

    @abstractmethod
    def find(self, region):
        """ExposureList of the L2 exposures covering `region` (a regions.CircleSkyRegion or a
        (SkyCoord, radius) pair, read by `roman_lab.skycircle.sky_circle`: the radius an angle
        Quantity or a bare number of arcsec)."""

    def download(self, exposures, directory, progress=True):
        return [Path(e.path) for e in exposures]
