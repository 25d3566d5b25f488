"""The view state file: round trip through real viewers, relocation, missing files, refusals,
and the example in docs/state.md."""

import json
import re
import shutil
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table
from regions import CircleSkyRegion

import roman_lab
from roman_lab import state

DOCS = Path(__file__).resolve().parents[1] / "docs" / "state.md"


@pytest.fixture(autouse=True)
def _kernel_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def field(small_demo, tmp_path):
    """A folder with a mosaic and three exposures of the small demo (copies, so they can move)."""
    folder = tmp_path / "field"
    folder.mkdir()
    names = [small_demo["mosaic"]["file"], *(e["cal"] for e in small_demo["exposures"][:3])]
    for name in names:
        shutil.copy(small_demo.path(name), folder / name)
    return [folder / n for n in names]


def _rich_viewer(paths, galaxy):
    v = roman_lab.Viewer()
    v.load(paths)
    v.load(np.ones((256, 256), np.float32), name="model", wcs=2)
    v.mark(2)
    v.sync_stretch = False
    v.current = 1
    v.stretch = "log"
    v.current = 2
    v.cuts = "zscale"
    v.limits = "fixed"
    v.center_on(galaxy)
    v.zoom_level = 8.0
    v.add_region(CircleSkyRegion(galaxy, 2.5 * u.arcsec))
    v.load_catalog(Table({"coord": SkyCoord([187.30], [12.39], unit="deg")}), catalog_label="stars")
    v.show_ramps()
    v.dq_overlay = True
    v.blink_interval = 0.3
    return v


def test_round_trip_restores_every_value(field, small_demo, tmp_path):
    galaxy = SkyCoord(small_demo["galaxy"]["ra"], small_demo["galaxy"]["dec"], unit="deg")
    v = _rich_viewer(field, galaxy)
    path = v.save_state(field[0].parent / "view.romanview.json")
    document = json.loads(path.read_text())
    assert (document["format"], document["version"]) == ("roman-lab-view", 1)
    assert not list(_schema_validator().iter_errors(document))  # what Python writes follows the shipped schema
    assert [i["path"] for i in document["images"][:4]] == [p.name for p in field]
    assert document["images"][4]["path"] == "../.roman-lab/arrays/" + Path(v.images[4]["path"]).name
    assert document["images"][0]["absolute_path"] == str(field[0])
    restored = roman_lab.Viewer.from_state(path)
    assert restored._view_values() == v._view_values()
    assert restored.get_region() == v.get_region()
    assert restored.get_catalog(catalog_label="stars")["coord"][0].separation(SkyCoord(187.30, 12.39, unit="deg")) < 1e-6 * u.arcsec
    assert not path.with_name(path.name + ".part").exists()


def test_a_moved_folder_restores_from_relative_paths(field, tmp_path):
    v = roman_lab.Viewer()
    v.load(field)
    saved = v.save_state(field[0].parent / "view.romanview.json")
    moved = tmp_path / "elsewhere"
    field[0].parent.rename(moved)
    restored = roman_lab.Viewer()
    assert restored.load_state(moved / saved.name) == []
    assert [e["path"] for e in restored.images] == [str(moved / p.name) for p in field]


def test_missing_files_are_listed_and_the_rest_restored(field):
    v = roman_lab.Viewer()
    v.load(field)
    v.current = 2
    v.reference = v.images[1]["id"]
    v.sync_stretch = False
    v.stretch = "sqrt"  # image_display of image 2
    v.add_region((SkyCoord(187.3, 12.39, unit="deg"), 2 * u.arcsec))
    v.show_ramps()
    saved = v.save_state(field[0].parent / "view.romanview.json")
    gone = v.images[2]
    field[2].unlink()
    restored = roman_lab.Viewer()
    with pytest.warns(UserWarning, match=r"1 image\(s\) of view.romanview.json are missing"):
        missing = restored.load_state(saved)
    assert missing == [{"id": gone["id"], "name": gone["name"], "path": str(field[2])}]
    assert gone["id"] not in [e["id"] for e in restored.images] and len(restored.images) == 3
    assert restored.reference == v.images[1]["id"]
    assert restored.current == 0 and restored.image_display == {} and restored.ramp_selection is None
    assert restored.regions == v.regions


def test_refusals_say_why(tmp_path):
    path = tmp_path / "s.romanview.json"
    path.write_text(json.dumps({"format": "roman-lab-view", "version": 2, "images": []}))
    with pytest.raises(state.StateError, match=r"newer roman-lab \(format version 2\); this one reads version 1"):
        roman_lab.Viewer.from_state(path)
    path.write_text(json.dumps({"format": "something", "version": 1}))
    with pytest.raises(state.StateError, match="not a roman-lab view state"):
        state.load(path)
    path.write_text("{oops")
    with pytest.raises(state.StateError, match="is not a JSON state file"):
        state.load(path)
    with pytest.raises(state.StateError, match="does not exist"):
        state.load(tmp_path / "nope.json")
    image = {"id": "a", "path": "x.fits", "name": "x", "kind": "spectrum"}
    (tmp_path / "x.fits").write_bytes(b"")
    path.write_text(json.dumps({"format": "roman-lab-view", "version": 1, "images": [image]}))
    with pytest.raises(state.StateError, match=r"images\[0\]\.kind: 'spectrum' is not one of \['exposure'"):
        state.load(path)
    path.write_text(json.dumps({"format": "roman-lab-view", "version": 1, "images": [], "zoom": 2}))
    with pytest.raises(state.StateError, match=r"the state: Additional properties are not allowed \('zoom' was unexpected\)"):
        state.load(path)
    image["kind"] = "user"
    path.write_text(json.dumps({"format": "roman-lab-view", "version": 1, "images": [image], "reference": "b"}))
    with pytest.raises(state.StateError, match="reference: 'b' is not the id of an image"):
        state.load(path)


def _schema_validator():
    import jsonschema

    schema = json.loads(state.SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_shipped_schema_takes_the_documented_example_and_refuses_bad_values():
    validator = _schema_validator()
    example = _docs_example()
    assert not list(validator.iter_errors(example))
    for change in ({"limits": "sometimes"}, {"zoom_level": 0}, {"regions": [{"ra": 1, "dec": 95, "radius_arcsec": 1}]},
                   {"images": [{**example["images"][0], "mark": "odd"}]}, {"center": {"x": float("inf"), "y": 0}},
                   {"blink_interval": float("inf")}):
        assert list(validator.iter_errors({**example, **change})), change
    with pytest.raises(state.StateError, match=r"center\.ra: must be a finite number, not nan"):
        state.check_center({"ra": float("nan"), "dec": 0})


def _docs_example():
    text = DOCS.read_text()
    block = re.search(r"### Example.*?```json\n(.*?)```", text, re.DOTALL).group(1)
    return json.loads(block)


def test_the_documented_example_restores(tmp_path):
    document = _docs_example()
    for image in document["images"]:
        (tmp_path / image["path"]).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / image["path"]).write_bytes(b"")
    values, missing = state.from_document(document, tmp_path)
    assert missing == []
    expected = {k: v for k, v in document.items() if k not in ("format", "version", "saved")}
    expected["images"] = [
        {**{k: v for k, v in i.items() if k != "absolute_path"}, "path": str(tmp_path / i["path"])} for i in document["images"]
    ]
    assert values == expected
    assert set(values) == set(state.VIEW_KEYS)


def test_the_documented_example_without_its_files(tmp_path):
    values, missing = state.from_document(_docs_example(), tmp_path)
    assert [m["id"] for m in missing] == ["m0", "e1", "e2", "u3"]
    assert values["images"] == [] and values["reference"] is None and values["ramp_selection"] is None
    assert values["regions"][0]["id"] == "c1"  # circles do not depend on images


def test_the_python_check_of_image_entries_never_accepts_what_the_schema_refuses():
    """`Viewer.load` checks its entries without jsonschema (1-2 s to import in a fresh kernel):
    the Python check may only say yes when the schema says yes; otherwise the schema decides."""
    validator = _schema_validator()
    image = {"id": "a1", "path": "/d/x_cal.asdf", "name": "x", "kind": "exposure", "wcs_from": None, "mark": None,
             "meta": {"time": "2026-10-01", "detector": "WFI01", "level": 2}}
    good = [image, {k: image[k] for k in ("id", "path", "name", "kind")}, {**image, "meta": None},
            {**image, "mark": "suspicious", "wcs_from": "b2", "absolute_path": "/d/x_cal.asdf"},
            {**image, "meta": {}}, {**image, "meta": {"level": None, "time": None}}, {**image, "kind": "user"}]
    bad = [{**image, "id": ""}, {**image, "kind": "spectrum"}, {**image, "kind": None}, {**image, "mark": "odd"},
           {**image, "mark": True}, {**image, "zoom": 2}, {**image, "wcs_from": ""}, {**image, "path": 3},
           {k: v for k, v in image.items() if k != "name"}, {**image, "meta": {"level": 4}},
           {**image, "meta": {"level": True}}, {**image, "meta": {"level": 2.0}}, {**image, "meta": {"band": "F087"}},
           {**image, "meta": {"time": ""}}, {**image, "meta": []}, {**image, "name": None}, [image], "image",
           {**image, "absolute_path": ""}, {**image, "kind": ["exposure"]}]
    image_schema = {"$schema": validator.schema["$schema"], "$defs": validator.schema["$defs"], "$ref": "#/$defs/image"}
    check = type(validator)(image_schema)
    for entry in good:
        assert check.is_valid(entry) and state._plainly_valid_image(entry), entry
    for entry in bad:
        assert not state._plainly_valid_image(entry), entry
    for entry in bad + good:  # whatever the Python check says, a refusal is the schema's, with its message
        if not check.is_valid(entry):
            with pytest.raises(state.StateError):
                state.check_images([entry])


def test_loading_files_into_a_viewer_does_not_import_jsonschema(tmp_path):
    """In a fresh kernel `import jsonschema` is the bulk of the first `load` (its format checkers
    compile grammars at import): the entries load makes are checked without it."""
    import subprocess
    import sys

    files = [tmp_path / f"r0099901001001001001_000{i}_wfi01_f087_cal.asdf" for i in (1, 2)]
    for f in files:
        f.write_bytes(b"")
    code = ("import sys, roman_lab; v = roman_lab.Viewer(); v.load(sys.argv[1:]); v.mark(0); v.move(0, 1); "
            "assert len(v.images) == 2; print('jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, *map(str, files)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
