"""`%roman` through a real IPython InteractiveShell, on the small demo."""

import astropy.units as u
import pytest
from astropy.coordinates import SkyCoord
from IPython.core.interactiveshell import InteractiveShell
from regions import CircleSkyRegion

from roman_lab.widget.viewer import Viewer


@pytest.fixture
def shell(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROMAN_LAB_CACHE", str(tmp_path / "stores"))
    monkeypatch.setattr(Viewer, "_latest", None)  # no viewer from another test
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "roman_lab")
    yield ip
    for name in ("_region", "_exposures", "_ramps", "mine"):
        ip.user_ns.pop(name, None)


def roman(shell, capsys, line):
    """Run `%roman line`; its printed output."""
    shell.run_line_magic("roman", line)
    return capsys.readouterr().out


def test_help_and_docstring(shell, capsys):
    out = roman(shell, capsys, "help")
    for sub in ("open PATH", "region", "find [--source lineage|local|mast]", "load [VAR]", "stretch NAME",
                "blink [INTERVAL]", "ramps", "save PATH", "restore PATH"):
        assert f"%roman {sub}" in out
    assert shell.find_line_magic("roman").__doc__.count("%roman ") >= 12  # what `%roman?` shows


def test_the_science_case_in_magics(shell, capsys, small_demo, tmp_path):
    mosaic = small_demo.path(small_demo["mosaic"]["file"])
    out = roman(shell, capsys, f"open {mosaic}")
    # the viewer was created and shown (as text in a shell without widgets), then loaded
    assert out == "<roman_lab.Viewer: empty>\nshowing r00042_p_v01_lsbd1_f158_coadd (1 image(s) in the viewer)\n"
    viewer = Viewer.latest()
    assert roman(shell, capsys, "region").startswith("%roman region: no circle yet: draw one in the viewer")

    faint = small_demo["faint_cosmic_ray"]
    viewer.add_region(CircleSkyRegion(SkyCoord(faint["ra"], faint["dec"], unit="deg"), 2.5 * u.arcsec))
    out = roman(shell, capsys, "region")
    assert shell.user_ns["_region"] == viewer.get_region() and out.startswith("_region = ")

    out = roman(shell, capsys, "find --source lineage")
    exposures = shell.user_ns["_exposures"]
    assert len(exposures) >= 2 and faint["exposure"] in [e.name for e in exposures]
    assert out.startswith(f"_exposures = ExposureList of {len(exposures)} exposures")

    out = roman(shell, capsys, "load")
    assert out == f"loaded {len(exposures)} image(s); the viewer has {len(exposures) + 1}\n"

    roman(shell, capsys, "stretch asinh 1 20")
    assert viewer.display["stretch"] == {"name": "asinh"}
    assert viewer.display["interval"] == {"kind": "manual", "vmin": 1.0, "vmax": 20.0}
    roman(shell, capsys, "stretch sqrt 99")
    assert viewer.display["interval"] == {"kind": "percentile", "percentile": 99.0}
    roman(shell, capsys, "stretch log zscale")
    assert viewer.display == {**viewer.display, "stretch": {"name": "log"}, "interval": {"kind": "zscale"}}

    roman(shell, capsys, "blink 0.3")
    assert viewer.blinking and viewer.blink_interval == 0.3
    roman(shell, capsys, "stop")
    assert not viewer.blinking

    viewer.current = faint["exposure"].removesuffix(".asdf")
    out = roman(shell, capsys, "ramps")
    assert out.startswith("_ramps = ") and len(shell.user_ns["_ramps"].pixels) >= len(faint["pixels"])

    out = roman(shell, capsys, f"save {tmp_path / 'case.romanview.json'}")
    assert out == f"saved the viewer state to {tmp_path / 'case.romanview.json'}\n"
    viewer.remove(0)
    out = roman(shell, capsys, f"restore {tmp_path / 'case.romanview.json'}")
    assert out == f"restored {len(exposures) + 1} image(s) from {tmp_path / 'case.romanview.json'}\n"
    assert viewer.images[0]["kind"] == "mosaic" and viewer.display["stretch"] == {"name": "log"}


def test_region_radius_as_a_bare_number_is_arcsec(shell, capsys, small_demo, tmp_path):
    """`_region = (centre, 2)` is 2 arcsec for `find` and `ramps` (the one circle rule), not 2 degrees."""
    faint = small_demo["faint_cosmic_ray"]
    centre = SkyCoord(faint["ra"], faint["dec"], unit="deg")
    roman(shell, capsys, f"open {small_demo.path(small_demo['mosaic']['file'])}")
    shell.user_ns["_region"] = (centre.directional_offset_by(0 * u.deg, 1 * u.deg), 2)
    assert roman(shell, capsys, "find --source lineage").startswith("_exposures = ExposureList([])")
    shell.user_ns["_region"] = (centre, 2)
    roman(shell, capsys, "find --source lineage")
    assert faint["exposure"] in [e.name for e in shell.user_ns["_exposures"]]
    roman(shell, capsys, f"open {small_demo.path(faint['exposure'])}")
    shell.user_ns["_region"] = (centre, 3 * small_demo["pixel_scale_arcsec"])
    roman(shell, capsys, "ramps")
    ramps = shell.user_ns["_ramps"]
    assert 0 < len(ramps.pixels) < 50  # ~28 pixels in 3 pixels' radius; 3 pixels' scale in degrees would be refused
    shell.user_ns["_region"] = (centre, -2)
    assert roman(shell, capsys, "ramps").startswith("%roman ramps: the circle's radius must be finite and positive")


def test_load_a_variable(shell, capsys, small_demo):
    shell.user_ns["mine"] = [small_demo.path(e["cal"]) for e in small_demo["exposures"][:2]]
    assert roman(shell, capsys, "load mine").endswith("\nloaded 2 image(s); the viewer has 2\n")


@pytest.mark.parametrize(
    "line, message",
    [
        ("frobnicate", "%roman frobnicate: unknown subcommand 'frobnicate'; try `%roman help`"),
        ("open", "%roman open: usage: %roman open PATH"),
        ("open /no/such_cal.asdf", "%roman open: /no/such_cal.asdf does not exist"),
        ("load", "%roman load: no variable '_exposures' in the notebook (run `%roman find` first)"),
        ("stretch cubic", "%roman stretch: Stretch 'cubic' is not valid: use one of linear, sqrt, log, asinh, sinh, power, histeq"),
        ("stretch linear 1 x", "%roman stretch: 'x' is not a number"),
        ("blink", "%roman blink: blinking needs at least two images in the viewer"),
        ("find --radius 3", "%roman find: unrecognized arguments: --radius 3"),
        ("find --source web", "%roman find: argument --source: invalid choice: 'web' (choose from 'auto', 'lineage', 'local', 'mast')"),
        ("demo", "%roman demo: the following arguments are required: DIR"),
        ("restore /no/state.json", "%roman restore: /no/state.json does not exist"),
    ],
)
def test_errors_are_one_line(shell, capsys, line, message):
    out = roman(shell, capsys, line)
    assert out.splitlines()[-1] == message
    assert "Traceback" not in out
