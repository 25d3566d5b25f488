"""One view for the whole stack, expressed in any one image's terms.

All images are drawn aligned in the frame of the reference image, so there is one centre and
one zoom (the `center` and `zoom_level` traits): the centre is on the sky when the reference
has a WCS (`{"ra", "dec"}`), else in the reference's pixels (`{"x", "y"}`); the zoom is
screen pixels per reference pixel. An image without a WCS of its own is aligned pixel for
pixel with the reference. The image display API asks for the viewport of one image, as a
pixel tuple or a SkyCoord and a field of view in its pixels or as an angle: `ViewFrame`
converts between the two.
"""

from __future__ import annotations

import astropy.units as u
from astropy.coordinates import SkyCoord

from .geometry import Geometry

NOMINAL_VIEW_SIDE = 800  # CSS px: the shorter side of the view until a browser reports its size


class ViewFrame:
    """Conversions between one image's viewport terms and the shared view, for a reference."""

    def __init__(self, reference: Geometry):
        self.ref = reference

    @property
    def sky(self):
        """True when the view's centre is on the sky (the reference has a WCS)."""
        return self.ref.wcs is not None

    def _aligning_wcs(self, image):
        return image.wcs if image.wcs is not None else self.ref.wcs

    def center_trait(self, center, image):
        """The `center` trait for a centre given in `image`'s terms (SkyCoord or its pixel (x, y))."""
        if isinstance(center, SkyCoord):
            from roman_lab.io.skypixel import world_to_pixel

            if self.sky:
                c = center.icrs
                return {"ra": float(c.ra.deg) % 360.0, "dec": float(c.dec.deg)}
            x, y = world_to_pixel(image.wcs, center, shape=image.shape)
            return {"x": float(x), "y": float(y)}
        x, y = (float(v) for v in center)
        if self.sky:
            c = self._aligning_wcs(image).pixel_to_world(x, y).icrs
            return {"ra": float(c.ra.deg) % 360.0, "dec": float(c.dec.deg)}
        return {"x": x, "y": y}

    def center_for(self, trait, image, sky):
        """The view centre in `image`'s terms: a SkyCoord (sky) or its pixel (x, y).
        A null trait is the centre of the reference image."""
        if trait is None:
            trait = self.center_trait(self.ref.center_pixel, self.ref)
        if "ra" in trait:
            c = SkyCoord(trait["ra"], trait["dec"], unit="deg", frame="icrs")
            if sky:
                return c
            from roman_lab.io.skypixel import world_to_pixel

            aligning = image if image.wcs is not None else self.ref
            x, y = world_to_pixel(aligning.wcs, c, shape=aligning.shape)
            return (float(x), float(y))
        if not sky:
            return (trait["x"], trait["y"])
        return image.wcs.pixel_to_world(trait["x"], trait["y"])

    def fov_in_reference_pixels(self, fov, image):
        """A field of view given for `image` (an angle, or its pixels) in reference pixels."""
        if isinstance(fov, u.Quantity):
            scale = self.ref.pixel_scale() if self.sky else image.pixel_scale()
            return fov.to_value(u.deg) / scale
        if self.sky and image.wcs is not None:
            return float(fov) * image.pixel_scale() / self.ref.pixel_scale()
        return float(fov)

    def fov_for(self, reference_pixels, image, sky):
        """A field of view in reference pixels in `image`'s terms: an angle (sky) or its pixels."""
        if sky:
            scale = self.ref.pixel_scale() if self.sky else image.pixel_scale()
            return reference_pixels * scale * u.deg
        if self.sky and image.wcs is not None:
            return reference_pixels * self.ref.pixel_scale() / image.pixel_scale()
        return reference_pixels
