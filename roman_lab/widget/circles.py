"""The `Viewer`'s circles and what is asked of them: get, add and remove circles, the ramps of a
circle on an image of the stack, and the triage of all its exposures in a circle."""

from __future__ import annotations

from .skyregions import as_region


class CirclesMixin:
    """Methods of `roman_lab.Viewer` on its `regions` trait (a list of `CircleSkyRegion`s with ids),
    its `images` and `ramp_selection`."""

    def _region_index(self, i):
        if not self.regions:
            raise ValueError("no circle yet: draw one in the viewer (the Circle tool, key C) or add_region(...)")
        if isinstance(i, str):
            ids = [r.meta["name"] for r in self.regions]
            if i not in ids:
                raise ValueError(f"no circle with id {i!r} (ids: {', '.join(ids)})")
            return ids.index(i)
        if not -len(self.regions) <= i < len(self.regions):
            raise IndexError(f"circle {i} is out of range: the viewer has {len(self.regions)}")
        return i % len(self.regions)

    def get_region(self, i=-1):
        """A circle of the view as a `regions.CircleSkyRegion` (by index, default the last drawn, or id)."""
        return self.regions[self._region_index(i)]

    def add_region(self, region):
        """Add a circle (a CircleSkyRegion or a (SkyCoord, radius) pair, the radius an angle Quantity
        or a bare number of arcsec); returns it with its id."""
        region = as_region(region)
        self.regions = [*self.regions, region]
        return region

    def remove_region(self, i=-1):
        """Remove a circle (by index, default the last, or id)."""
        index = self._region_index(i)
        self.regions = [r for k, r in enumerate(self.regions) if k != index]

    def ramps(self, image=None, region=None, **options):
        """The up-the-ramp samples of the pixels in a circle, with their jumps (a `RampSet`): of
        the image on screen (or `image`) and the last circle drawn (or `region`: a CircleSkyRegion
        or a (SkyCoord, radius) pair, the radius an angle Quantity or a bare number of arcsec).
        `options` go to `roman_lab.ramps` (threshold=, read_noise=, ...)."""
        from roman_lab.ramp import ramps

        if not self.images:
            raise ValueError("the viewer has no images: load an exposure first")
        index = self.current if image is None else self._index(image)
        region = self.get_region() if region is None else as_region(region)
        return ramps(self.images[index]["path"], region, **options)

    def triage(self, region=None, **options):
        """The ramps of every exposure of the stack in a circle at once (`roman_lab.triage`): one
        row per exposure, the one hiding the strongest jump the pipeline did not flag first.
        region: the last circle drawn by default (else as in `ramps`); `options` go to
        `roman_lab.triage` (threshold=, workers=, progress=, ...)."""
        from roman_lab.ramp.triage import triage

        exposures = [e["path"] for e in self.images if e["kind"] == "exposure"]
        if not exposures:
            raise ValueError("the viewer has no exposures to triage: load the L2 exposures behind a circle first")
        region = self.get_region() if region is None else as_region(region)
        return triage(region, exposures, **options)

    def show_ramps(self, image=None, region=None):
        """Open the ramp panel of the view on an image (default: on screen) and a circle (default: the
        last; else as in `ramps`)."""
        if not self.images:
            raise ValueError("the viewer has no images: load an exposure first")
        index = self.current if image is None else self._index(image)
        region = self.get_region() if region is None else as_region(region)
        if region.meta["name"] not in [r.meta["name"] for r in self.regions]:
            self.add_region(region)
        self.ramp_selection = {"image": self.images[index]["id"], "region": region.meta["name"]}

