"""One default display: the lab's settings schema, shipped in the package, is where Python and the
widget take their first stretch, interval and colormap from, as the lab does."""

import json
from pathlib import Path

import numpy as np
from astropy.visualization import AsinhStretch

import roman_lab
from roman_lab.display import DEFAULT_DISPLAY

SHIPPED = Path(roman_lab.__file__).parent / "labextension" / "schemas" / "roman-lab" / "plugin.json"


def test_python_and_the_widget_start_with_the_lab_settings():
    settings = json.loads(SHIPPED.read_text())["properties"]
    expected = {"stretch": {"name": settings["defaultStretch"]["default"]},
                "interval": {"kind": "percentile", "percentile": settings["defaultPercentile"]["default"]},
                "colormap": settings["defaultColormap"]["default"]}
    assert DEFAULT_DISPLAY == expected
    assert roman_lab.Viewer().display == expected
    assert expected["stretch"] == {"name": "asinh"}  # the lab's default today, no longer linear in Python
    viewer = roman_lab.Viewer()
    viewer.load_image(np.ones((8, 8)))
    assert isinstance(viewer.get_stretch(), AsinhStretch) and viewer.get_colormap() == expected["colormap"]


def test_the_shipped_schema_is_the_source_schema():
    assert json.loads(SHIPPED.read_text()) == json.loads((Path(__file__).parents[1] / "schema" / "plugin.json").read_text())
