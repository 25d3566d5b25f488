"""roman_lab.io.open: level, model type, shapes, summary, lineage, no array read, clear errors."""

import json
import warnings

import pytest
from romanfiles import (
    CAL,
    READ_PATTERN,
    UNCAL,
    VISIT_ID,
    bad_files,
    make_l1,
    make_l2,
    make_l3,
)

import roman_lab.io as rio
from roman_lab.io import RomanFileError


def test_open_l2_summary_shapes_lineage(tmp_path):
    p = make_l2(tmp_path / CAL)
    (tmp_path / UNCAL).write_bytes(b"")  # its L1 beside it
    with rio.open(p) as f:
        assert f.level == 2 and f.model_type == "ImageModel"
        assert f.arrays["data"] == {"shape": (64, 64), "dtype": "float32"}
        assert f.arrays["dq"]["shape"] == (64, 64)
        s = f.summary
        assert s["detector"] == "WFI02" and s["optical_element"] == "F158"
        assert s["program"] == 42 and s["visit"] == 1 and s["exposure"] == 1
        assert s["exposure_id"] == f"{VISIT_ID}_0001"
        assert s["start_time"].startswith("20") and "T" in s["start_time"]
        assert s["exposure_time"] == pytest.approx(139.84)
        assert s["filename"] == CAL
        assert s["product_type"] is None  # '?' placeholder -> None
        assert f.lineage == {"l1": UNCAL, "l1_path": str(tmp_path / UNCAL)}
        assert f.wcs is not None
        j = f.to_json()
        json.dumps(j)
        assert j["level"] == 2 and j["arrays"]["data"]["shape"] == [64, 64]
        assert len(j["wcs"]["center"]) == 2


def test_open_l1_and_ramp(tmp_path):
    p = make_l1(tmp_path / UNCAL)
    with rio.open(p) as f:
        assert (f.level, f.model_type) == (1, "ScienceRawModel")
        assert f.arrays["data"]["shape"] == (3, 72, 72) and f.arrays["data"]["dtype"] == "uint16"
        assert f.lineage == {} and f.wcs is None
        assert f.summary["read_pattern"] == READ_PATTERN
        json.dumps(f.to_json())
    p = make_l1(tmp_path / "ramp.asdf", ramp=True)
    with rio.open(p) as f:
        assert (f.level, f.model_type) == (1, "RampModel")
        assert "groupdq" in f.arrays


def test_open_l3_members(tmp_path):
    p = make_l3(tmp_path / "mosaic_coadd.asdf")
    with rio.open(p) as f:
        assert (f.level, f.model_type) == (3, "MosaicModel")
        assert f.lineage == {"members": ["a_cal.asdf", "b_cal.asdf", "c_cal.asdf"]}
        assert {"data", "err", "context", "weight"} <= set(f.arrays)
        assert "start_time" in f.summary and "detector" not in f.summary
        json.dumps(f.to_json())


def test_open_reads_no_array(tmp_path, monkeypatch):
    """Opening never decompresses a block: make block reads fail, open still works."""
    p = make_l2(tmp_path / CAL, shape=(256, 256))
    from asdf.tags.core import ndarray

    def boom(self):
        raise AssertionError("an array was read during open()")

    monkeypatch.setattr(ndarray.NDArrayType, "_make_array", boom)
    with rio.open(p) as f:
        f.to_json()
    monkeypatch.undo()
    # and with the data block's compressed bytes garbled: open works, reading says corrupt
    raw = bytearray(p.read_bytes())
    with rio.open(p) as f:
        blk = f._af._blocks.blocks[f._model._instance["data"]._source]
        start = blk.data_offset
    raw[start: start + 8] = b"\xff" * 8  # the lz4 frame's length prefix
    p.write_bytes(bytes(raw))
    with rio.open(p) as f:
        assert f.level == 2
        with pytest.raises(RomanFileError) as e:
            f.read("data")
        assert e.value.status == 422 and "corrupt" in str(e.value)


def test_bad_inputs_give_clear_errors(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = bad_files(tmp_path)
    for name, (path, status, msg) in cases.items():
        with pytest.raises(RomanFileError) as e:
            rio.open(path)
        assert e.value.status == status, (name, str(e.value))
        assert msg in str(e.value), (name, str(e.value))
        assert str(e.value).startswith(name), (name, str(e.value))
        assert isinstance(e.value, ValueError)
        assert e.value.to_json() == {"error": str(e.value), "status": status}
    with pytest.raises(RomanFileError) as e:
        rio.open(tmp_path)
    assert e.value.status == 415


def test_l1_name_convention():
    assert rio.l1_name_for("r0000101001001001001_0001_wfi01_f158_cal.asdf") == (
        "r0000101001001001001_0001_wfi01_f158_uncal.asdf")
    assert rio.l1_name_for("something.asdf") is None


def test_roman_file_names():
    from roman_lab.io import names

    cal = "r0000101001001001001_0001_wfi01_f158_cal.asdf"
    assert names.l2_name_for(names.l1_name_for(cal)) == cal
    assert [names.level_of_name(n) for n in (cal, "x_uncal.asdf", "x_coadd.asdf", "x_i2d.asdf", "x.asdf")] == [2, 1, 3, 3, None]
    assert names.detector_of_name(cal) == "WFI01" and names.detector_of_name("x_cal.asdf") is None
    assert all(names.is_fits_name(f"x{s.upper()}") for s in names.FITS_SUFFIXES) and not names.is_fits_name("x.asdf")
    assert [names.display_name(n) for n in (cal, "a.fits.fz", "b.fit.gz", "c.txt")] == [cal[:-5], "a", "b", "c.txt"]


CONCURRENT_OPENS = """
import sys, threading, time
import asdf
import roman_lab.io as rio

real_open, lock, state = asdf.open, threading.Lock(), {"now": 0, "most": 0}

def slow_open(*args, **kwargs):  # a wide window for two opens to overlap
    with lock:
        state["now"] += 1
        state["most"] = max(state["most"], state["now"])
    time.sleep(0.3)
    try:
        return real_open(*args, **kwargs)
    finally:
        with lock:
            state["now"] -= 1

asdf.open = slow_open

def open_all(paths):
    state["most"] = 0
    threads = [threading.Thread(target=lambda p=p: rio.open(p).close()) for p in paths]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return state["most"]

first = open_all(sys.argv[1:3])  # the first opens of the process
print(first, open_all(sys.argv[3:5]))
"""


def test_asdf_trees_are_opened_one_at_a_time(tmp_path):
    """asdf loads a tag's converters the first time it meets the tag in a process, not thread
    safely: two threads opening at once (the server's two conversion workers) could get meta.wcs
    as a raw TaggedDict (seen 1 time in 5 with 4 threads on romancal L2s, also after warmup()).
    Opens are made one at a time, the first of the process and the later ones."""
    import subprocess
    import sys

    paths = [make_l2(tmp_path / f"r0004201001001001001_000{i}_wfi02_f158_cal.asdf") for i in range(1, 5)]
    out = subprocess.run([sys.executable, "-c", CONCURRENT_OPENS, *map(str, paths)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "1"]


def test_lz4_blocks_are_read_in_parallel_pieces_as_asdf_reads_them(tmp_path):
    """An lz4 block of several 4 MiB pieces is read by `blocks.read_lz4_array` (each thread its
    run of pieces, straight into the array): the same arrays as asdf's own reading."""
    import asdf
    import numpy as np

    from roman_lab.io import blocks

    p = make_l2(tmp_path / CAL, shape=(2048, 2100), nan_block=True)  # data: 17.2 MB, 5 pieces
    with rio.open(p) as f:
        start, used, shape, dtype = f._lz4_blocks["data"]
        assert len(blocks.pieces(f._handle.fileno(), start, used)) == 5
        ours = {key: f.read(key) for key in ("data", "err", "dq")}
    with asdf.open(p, lazy_load=True, memmap=False) as af:
        for key, arr in ours.items():
            theirs = np.asarray(af.tree["roman"][key])
            assert arr.dtype == theirs.dtype and arr.shape == theirs.shape
            assert np.array_equal(arr, theirs, equal_nan=True), key


def test_a_garbled_lz4_piece_is_a_corrupt_file(tmp_path):
    """A garbled piece past the first, or a piece's length past the block's end: reading says
    the file is corrupt (422), in the words asdf's failures get. (Garbled literal bytes read as
    wrong pixels, as with asdf, which does not check a block's checksum either.)"""
    from roman_lab.io import blocks

    p = make_l2(tmp_path / CAL, shape=(2048, 2100))
    with rio.open(p) as f:
        found = blocks.pieces(f._handle.fileno(), *f._lz4_blocks["data"][:2])
    third_offset = found[2][0]
    clean = p.read_bytes()
    for at, garbage in ((third_offset + 4, b"\x00" * 64),  # its lz4 data: a match at offset 0
                        (found[3][0] - 4, b"\x7f\xff\xff\xff")):  # the 4th piece's length
        raw = bytearray(clean)
        raw[at: at + len(garbage)] = garbage
        p.write_bytes(bytes(raw))
        with rio.open(p) as f:
            with pytest.raises(RomanFileError) as e:
                f.read("data")
            assert e.value.status == 422 and f"{CAL} is corrupt: its 'data' array cannot be read" in str(e.value)
