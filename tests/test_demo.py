"""The demo data set (small flavour): valid Roman files that carry the science case."""

import itertools
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import roman_datamodels.datamodels as rdm
from astropy.coordinates import SkyCoord
from roman_datamodels.dqflags import pixel as dqflags

from roman_lab import demo
from roman_lab.demo import wcs as demo_wcs
from roman_lab.demo.ramps import ReadPattern


def _open(manifest, name):
    return rdm.open(manifest.path(name))


def test_manifest_describes_the_folder(small_demo):
    on_disk = json.loads(small_demo.path("demo.json").read_text())
    assert on_disk == dict(small_demo)
    assert on_disk["small"] is True and on_disk["generator_version"] == demo.GENERATOR_VERSION
    for name in on_disk["files"]:
        assert small_demo.path(name).is_file(), name
    assert {"README.md", "demo.ipynb", "photon_torpedo.py", on_disk["mosaic"]["file"]} <= set(on_disk["files"])


def test_every_file_is_a_valid_roman_model(small_demo):
    kinds = {"_cal.asdf": rdm.ImageModel, "_uncal.asdf": rdm.ScienceRawModel, "_coadd.asdf": rdm.MosaicModel}
    asdf_files = [n for n in small_demo["files"] if n.endswith(".asdf")]
    assert len(asdf_files) == 2 * len(small_demo["exposures"]) + 1
    for name in asdf_files:
        with _open(small_demo, name) as model:
            model.validate()
            expected = next(kind for suffix, kind in kinds.items() if name.endswith(suffix))
            assert isinstance(model, expected), name
            assert model.meta.filename == name


def _slopes(resultants, pattern, frame_time):
    """Independent ramp fit: least squares with weights n_k (number of reads per resultant)."""
    t = np.array([frame_time * np.mean(g) for g in pattern])
    n = np.array([len(g) for g in pattern], dtype=float)
    tw = (n * t).sum() / n.sum()
    weights = n * (t - tw) / (n * (t - tw) ** 2).sum()
    return np.tensordot(weights, resultants.astype(float), axes=1)


def test_each_exposure_has_its_ramp(small_demo):
    for record in small_demo["exposures"]:
        assert record["uncal"] == record["cal"].replace("_cal.asdf", "_uncal.asdf")
        with _open(small_demo, record["cal"]) as cal, _open(small_demo, record["uncal"]) as raw:
            pattern = [list(g) for g in raw.meta.exposure.read_pattern]
            assert pattern == [list(g) for g in cal.meta.exposure.read_pattern]
            assert len(pattern) >= 6 and len({len(g) for g in pattern}) > 1
            assert raw.data.dtype == np.uint16
            assert raw.data.shape == (len(pattern), cal.data.shape[0] + 8, cal.data.shape[1] + 8)
            assert raw.meta.exposure.nresultants == len(pattern)
            assert 2.9 < raw.meta.exposure.frame_time < 3.2
            # L2 = slope of L1 where nothing was flagged (L1 pixel = L2 pixel + 4)
            clean = cal.dq == 0
            slopes = _slopes(np.asarray(raw.data)[:, 4:-4, 4:-4], pattern, raw.meta.exposure.frame_time)
            assert np.abs(slopes[clean] - cal.data[clean]).max() < 1e-3
            # the stored noise is what the slopes scatter by
            assert np.all(np.isfinite(cal.err[clean])) and np.all(cal.err[clean] > 0)


def test_strong_cosmic_rays_are_flagged_and_real(small_demo):
    ramp = ReadPattern(small_demo["noise"]["read_pattern"], small_demo["noise"]["frame_time_s"],
                       small_demo["noise"]["read_noise_dn"], small_demo["noise"]["gain_e_per_dn"])
    for record in small_demo["exposures"]:
        with _open(small_demo, record["cal"]) as cal, _open(small_demo, record["uncal"]) as raw:
            flagged = np.argwhere(cal.dq & dqflags.JUMP_DET)
            assert len(flagged) >= 24  # dozens of pixels from the cosmic rays the pipeline caught
            ramps = np.asarray(raw.data, dtype=float)
            peaks = []
            for y, x in flagged[:200]:
                resultants = ramps[:, y + 4, x + 4]
                if resultants.max() >= small_demo["noise"]["saturation_dn"]:
                    continue
                z = [ramp.jump_significance(resultants, k)[0] for k in range(1, ramp.nres)]
                peaks.append(max(z))
            assert np.median(peaks) > 8  # a typical flagged pixel has a strong jump


def test_the_faint_cosmic_ray_is_in_l1_and_not_flagged(small_demo):
    cr = small_demo["faint_cosmic_ray"]
    noise = small_demo["noise"]
    ramp = ReadPattern(noise["read_pattern"], noise["frame_time_s"], noise["read_noise_dn"], noise["gain_e_per_dn"])
    assert 1 <= len(cr["pixels"]) <= 3 and cr["flagged"] is False
    peak = cr["pixels"][0]
    assert (peak["l1_x"], peak["l1_y"]) == (peak["x"] + 4, peak["y"] + 4)
    with _open(small_demo, cr["uncal"]) as raw, _open(small_demo, cr["exposure"]) as cal:
        resultants = np.asarray(raw.data[:, peak["l1_y"], peak["l1_x"]], dtype=float)
        significance, sigma, _ = ramp.jump_significance(resultants, cr["resultant"])
        assert significance == pytest.approx(cr["significance"], abs=1e-3)
        assert 5.0 <= significance <= 6.5
        assert cr["amplitude_dn"] == pytest.approx(significance * sigma, rel=0.35)
        others = [ramp.jump_significance(resultants, k)[0] for k in range(1, ramp.nres) if k != cr["resultant"]]
        assert max(np.abs(others)) < 4
        for p in cr["pixels"]:
            assert cal.dq[p["y"], p["x"]] == 0  # not flagged: no JUMP_DET, nothing else
        assert np.count_nonzero(cal.dq & dqflags.JUMP_DET) > 0  # while strong ones are
        ra, dec = cal.meta.wcs(peak["x"], peak["y"])
    assert SkyCoord(ra, dec, unit="deg").separation(SkyCoord(cr["ra"], cr["dec"], unit="deg")).arcsec < 0.01
    galaxy = SkyCoord(small_demo["galaxy"]["ra"], small_demo["galaxy"]["dec"], unit="deg")
    assert 10 < galaxy.separation(SkyCoord(ra, dec, unit="deg")).arcsec < 40  # the outskirts


def test_geometry_of_the_exposures(small_demo):
    records = small_demo["exposures"]
    assert len(records) >= 6
    centres, rolls, detectors = [], set(), set()
    galaxy = small_demo["galaxy"]
    assert small_demo.cal_files == [small_demo.path(r["cal"]) for r in records]
    for record, path in zip(records, small_demo.cal_files):
        with rdm.open(path) as cal:
            info = cal.meta.wcsinfo
            detectors.add(cal.meta.instrument.detector)
            rolls.add(round(info.roll_ref, 3))
            centres.append(SkyCoord(info.ra_ref, info.dec_ref, unit="deg"))
            gx, gy = cal.meta.wcs.invert(galaxy["ra"], galaxy["dec"])
            ny, nx = cal.data.shape
            assert 0.1 * nx < gx < 0.9 * nx and 0.1 * ny < gy < 0.9 * ny, record["cal"]
            assert info.s_region.startswith("POLYGON ICRS")
    assert len(detectors) >= 2
    assert len(rolls) >= 2 and max(rolls) - min(rolls) > 5
    for a, b in itertools.combinations(centres, 2):
        assert a.separation(b).arcsec >= 10


def test_l2_wcs_is_roman_like_and_round_trips(small_demo):
    for record in small_demo["exposures"]:
        with _open(small_demo, record["cal"]) as cal:
            wcs = cal.meta.wcs
            n = cal.data.shape[0]
            assert wcs.available_frames == ["detector", "v2v3", "world"]
            assert wcs.bounding_box is not None
            assert demo_wcs.roundtrip_error(wcs, n) < 0.01
            assert demo_wcs.sip_error(wcs, n, max_pix_error=0.05) < 0.05
            # a real distortion: detector -> v2v3 is not affine (~3 native pixels at the corners)
            grid = np.linspace(0, n - 1, 9)
            x, y = (a.ravel() for a in np.meshgrid(grid, grid))
            v2, v3 = wcs.get_transform("detector", "v2v3")(x, y)
            design = np.c_[np.ones_like(x), x, y]
            residual = max(np.abs(v - design @ np.linalg.lstsq(design, v, rcond=None)[0]).max() for v in (v2, v3))
            assert 0.05 < residual < 1.0  # arcsec


def test_mosaic_lineage_and_context(small_demo):
    members = [r["cal"] for r in small_demo["exposures"]]
    with rdm.open(small_demo.mosaic_file) as mosaic:
        assert list(mosaic.meta.resample.members) == members
        tables = mosaic.meta.individual_image_meta
        assert list(tables.basic["filename"]) == members
        assert len(tables.exposure) == len(members)
        context = np.asarray(mosaic.context)
        weight = np.asarray(mosaic.weight)
        assert context.dtype == np.uint32 and context.shape == (1,) + mosaic.data.shape
        assert np.array_equal(weight > 0, context.any(axis=0))
        assert np.array_equal(np.isfinite(mosaic.data), weight > 0)
        mosaic_wcs = mosaic.meta.wcs
        n = mosaic.data.shape[0]

        rng = np.random.default_rng(1)
        mx, my = rng.integers(0, n, (2, 3000))
        ra, dec = mosaic_wcs(mx, my)
        masked_seen = 0
        for i, name in enumerate(members):
            with _open(small_demo, name) as cal:
                ex, ey = cal.meta.wcs.invert(ra, dec)
                ex, ey = np.nan_to_num(ex, nan=-10), np.nan_to_num(ey, nan=-10)
                clear = (np.abs(ex % 1 - 0.5) > 0.01) & (np.abs(ey % 1 - 0.5) > 0.01)  # not on a pixel edge
                xi, yi = np.rint(ex).astype(int), np.rint(ey).astype(int)
                ny, nx = cal.data.shape
                inside = (xi >= 0) & (xi < nx) & (yi >= 0) & (yi < ny)
                dq = np.where(inside, cal.dq[np.clip(yi, 0, ny - 1), np.clip(xi, 0, nx - 1)], 0)
                masked = inside & ((dq & (dqflags.DO_NOT_USE | dqflags.JUMP_DET)) != 0)
                expected = inside & ~masked
                bit = (context[i // 32, my, mx] >> (i % 32)) & 1
                assert np.array_equal(bit[clear].astype(bool), expected[clear]), name
                masked_seen += int((masked & clear).sum())
        assert masked_seen > 0  # a member masked by a cosmic ray shows as not contributing


def test_photon_torpedo_writes_model_and_residual(small_demo, tmp_path):
    cal_name = small_demo["faint_cosmic_ray"]["exposure"]
    script = small_demo.path("photon_torpedo.py")
    run = subprocess.run([sys.executable, str(script), str(small_demo.path(cal_name)), str(tmp_path)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    stem = cal_name[: -len(".asdf")]
    written = [tmp_path / f"{stem}_model.asdf", tmp_path / f"{stem}_residual.asdf"]
    assert run.stdout.split() == [str(p) for p in written]
    with _open(small_demo, cal_name) as cal, rdm.open(written[0]) as model, rdm.open(written[1]) as residual:
        for product in (model, residual):
            product.validate()
            assert product.data.shape == cal.data.shape
            x, y = np.meshgrid([0.0, 100.0, 255.0], [0.0, 50.0, 255.0])
            assert np.allclose(product.meta.wcs(x, y), cal.meta.wcs(x, y), rtol=0, atol=1e-12)
        good = np.isfinite(cal.data)
        assert np.allclose((model.data + residual.data)[good], cal.data[good], atol=1e-4)
        assert np.nanstd(residual.data[good]) < np.nanstd(cal.data[good])


def test_bad_folder_is_refused_with_a_clear_error(tmp_path):
    a_file = tmp_path / "not-a-folder.txt"
    a_file.write_text("x")
    with pytest.raises(demo.DemoError, match="is a file"):
        demo.make(a_file, small=True, progress=False)
    with pytest.raises(demo.DemoError, match="part of that path is a file"):
        demo.make(a_file / "demo", small=True, progress=False)
    assert issubclass(demo.DemoError, ValueError)


def test_make_again_returns_the_existing_data_set(small_demo):
    stamps = {name: small_demo.path(name).stat().st_mtime_ns for name in small_demo["files"]}
    again = demo.make(small_demo.folder, small=True, progress=False)
    assert dict(again) == dict(small_demo)
    assert {name: small_demo.path(name).stat().st_mtime_ns for name in small_demo["files"]} == stamps


def test_generation_is_reproducible(small_demo, tmp_path):
    other = demo.make(tmp_path, small=True, progress=False)
    assert other["faint_cosmic_ray"] == small_demo["faint_cosmic_ray"]
    name = small_demo["faint_cosmic_ray"]["uncal"]
    with _open(small_demo, name) as a, rdm.open(other.path(name)) as b:
        assert np.array_equal(a.data, b.data)


def _outputs(cell):
    """The text a code cell showed: its streams and the text/plain of what it displayed."""
    return "".join(out.get("text", "") + out.get("data", {}).get("text/plain", "") for out in cell.outputs)


@pytest.mark.notebook
def test_notebook_runs_top_to_bottom(small_demo, tmp_path, monkeypatch):
    """demo.ipynb walks the science case unattended in a copy of the folder (it writes files there):
    it finds the glitch exposure itself, lists the jump the pipeline missed, and restores its view."""
    import nbformat
    from nbclient import NotebookClient

    folder = tmp_path / "demo"
    shutil.copytree(small_demo.folder, folder)
    monkeypatch.setenv("ROMAN_LAB_CACHE", str(tmp_path / "stores"))  # the kernel's ramp stores
    nb = nbformat.read(folder / "demo.ipynb", as_version=4)
    assert all(cell.metadata["tags"] == [cell.id] for cell in nb.cells)
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    cells = {cell.id: cell for cell in nb.cells if cell.cell_type == "code"}
    out = {name: _outputs(cell) for name, cell in cells.items()}
    faint = small_demo["faint_cosmic_ray"]
    glitch = faint["exposure"].removesuffix(".asdf")

    def widget_shown(name):
        return any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in cells[name].outputs)

    assert widget_shown("open") and widget_shown("ab") and widget_shown("save")
    assert "radius=" in out["circle"]
    assert out["find"].count("_cal.asdf") == len(small_demo["exposures"])
    assert "asinh stretch, 99.5% cuts, gray (one display for all)" in out["load"]
    # the glitch is found by comparing the exposures, not read from demo.json
    assert "manifest" not in cells["glitch"].source
    assert f"the odd one out: {faint['exposure']}" in out["glitch"]
    n = len(small_demo["exposures"]) + 1
    assert f"/{n}: {glitch} (exposure, " in out["mark"] and "suspicious)" in out["mark"]
    # the ramps list the faint jump, not flagged by the pipeline
    brightest = faint["pixels"][0]
    jump = f"pixel ({brightest['x']}, {brightest['y']}) resultant {faint['resultant']}: "
    line = next(line for line in out["ramps"].splitlines() if jump in line)
    assert "pipeline-flagged" not in line
    unflagged = out["ramps"].split("jump(s) the pipeline did not flag:")[1]
    assert re.search(rf"\b{brightest['x']}\s+{brightest['y']}\s+{faint['resultant']}\s", unflagged)
    assert any("image/png" in o.get("data", {}) for o in cells["ramps-plot"].outputs)
    # model and residual next to the exposure, the view saved and restored with the same images
    listed = out["algorithm"].splitlines()
    at = next(i for i, line in enumerate(listed) if line == f"{i}: {glitch}")
    assert listed[at + 1:at + 3] == [f"{at + 1}: {glitch}_model", f"{at + 2}: {glitch}_residual"]
    assert "same images: True" in out["save"]
    saved = json.loads((folder / "science_case.romanview.json").read_text())
    assert [e["name"] for e in saved["images"]] == [line.split(": ", 1)[1] for line in listed]
    assert saved["images"][saved["current"]]["name"] == glitch and saved["images"][saved["current"]]["mark"] == "suspicious"
    assert saved["ramp_selection"]["image"] == saved["images"][saved["current"]]["id"]
    assert saved["display"]["stretch"]["name"] == "asinh" and len(saved["regions"]) == 1
    # the magics act on the restored viewer
    assert "_region = " in out["magics"] and "_ramps = RampSet: " in out["magics"] and jump in out["magics"]
    assert "%roman" not in out["magics"]  # no subcommand answered with an error
