"""The `roman-lab` command line and the `%roman` magics, run as a user would."""

import subprocess
import sys

import pytest
from IPython.testing.globalipapp import start_ipython
from romanfiles import make_l2

import roman_lab


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "roman_lab.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_help_names_the_demo():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout


def test_cli_demo_refuses_a_folder_under_a_file(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli("demo", str(blocker / "demo"), "--small", "--no-launch")
    assert result.returncode == 2
    assert result.stderr.startswith("roman-lab demo: ")
    assert "Traceback" not in result.stderr
    assert str(blocker) in result.stderr


def test_cli_demo_refuses_a_file_as_folder(tmp_path):
    blocker = tmp_path / "demo-data"
    blocker.write_text("not a folder")
    result = run_cli("demo", str(blocker), "--small", "--no-launch")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def ipython():
    shell = start_ipython()
    shell.run_line_magic("load_ext", "roman_lab")
    return shell


def test_magic_version(ipython, capsys):
    ipython.run_line_magic("roman", "version")
    assert capsys.readouterr().out.strip() == f"roman-lab {roman_lab.__version__}"


def test_magic_demo_needs_a_folder(ipython, capsys):
    ipython.run_line_magic("roman", "demo")
    assert capsys.readouterr().out.strip() == "%roman demo: the following arguments are required: DIR"


def test_cli_convert_on_a_local_cluster(tmp_path):
    good = [make_l2(tmp_path / f"r{i}_cal.asdf", seed=i) for i in range(2)]
    bad = tmp_path / "bad.asdf"
    bad.write_text("not asdf")
    cache = tmp_path / "cache"
    result = run_cli("convert", *map(str, good), str(bad), "--cache-dir", str(cache))
    assert result.returncode == 1, result.stderr
    assert "2 converted, 1 failed." in result.stdout
    assert "bad.asdf is not an ASDF file" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name.split("-")[0] for p in cache.iterdir() if not p.name.startswith(".")) == ["r0_cal", "r1_cal"]


def test_cli_convert_on_a_given_scheduler(tmp_path):
    from dask.distributed import LocalCluster

    path = make_l2(tmp_path / "r_cal.asdf")
    with LocalCluster(n_workers=1, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address=None) as cluster:
        result = run_cli("convert", str(path), "--cache-dir", str(tmp_path / "c"), "--scheduler", cluster.scheduler_address)
    assert result.returncode == 0, result.stderr
    assert "1 converted, 0 failed." in result.stdout


def test_cli_index_then_find(small_demo, tmp_path):
    db = tmp_path / "archive.sqlite"
    result = run_cli("index", str(small_demo.folder), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "added 17" in result.stdout
    again = run_cli("index", str(small_demo.folder), "--db", str(db))
    assert "added 0" in again.stdout and "unchanged 17" in again.stdout
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    cr = small_demo["faint_cosmic_ray"]
    found = roman_lab.find_exposures((SkyCoord(cr["ra"] * u.deg, cr["dec"] * u.deg), 0.5 * u.arcsec), source="local",
                                     root=small_demo.folder, db=db)
    assert cr["exposure"] in [e.name for e in found]
    assert roman_lab.level1_for(found[0]).name == found[0].name.replace("_cal.asdf", "_uncal.asdf")
