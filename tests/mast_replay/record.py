"""Write the recorded MAST responses in this folder from the small roman-lab demo field.

MAST has no Roman data to record yet (and the test machines have no internet), so these are
plausible Roman responses in exactly the JSON shape MAST's portal API answers with (the shape of
astroquery's own recordings in astroquery/mast/tests/data/): one CAOM observation per Level 2
exposure of the demo (obs_collection ROMAN, instrument WFI, filter F158), its s_region the
exposure's footprint from its WCS, and its products (_uncal, _cal, a catalog and a preview).

    python tests/mast_replay/record.py DEMO_DIR     # DEMO_DIR from roman_lab.demo.make(dir, small=True)

Which observations a cone search returns is decided here, once, by brute force (the region's
centre inside the detector's pixel grid), just as MAST's footprint search would.
"""

import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent

OBS_FIELDS = [
    ("dataproduct_type", "string"), ("calib_level", "int"), ("obs_collection", "string"),
    ("obs_id", "string"), ("target_name", "string"), ("s_ra", "float"), ("s_dec", "float"),
    ("t_min", "float"), ("t_max", "float"), ("t_exptime", "float"), ("wavelength_region", "string"),
    ("filters", "string"), ("em_min", "float"), ("em_max", "float"), ("target_classification", "string"),
    ("obs_title", "string"), ("t_obs_release", "float"), ("instrument_name", "string"),
    ("proposal_pi", "string"), ("proposal_id", "string"), ("project", "string"), ("s_region", "string"),
    ("jpegURL", "string"), ("dataURL", "string"), ("dataRights", "string"), ("mtFlag", "boolean"),
    ("srcDen", "float"), ("intentType", "string"), ("obsid", "string"), ("objID", "string"),
    ("distance", "float"),
]
PRODUCT_FIELDS = [
    ("obsID", "string"), ("obs_collection", "string"), ("dataproduct_type", "string"),
    ("obs_id", "string"), ("description", "string"), ("type", "string"), ("dataURI", "string"),
    ("productType", "string"), ("productGroupDescription", "string"),
    ("productSubGroupDescription", "string"), ("productDocumentationURL", "string"),
    ("project", "string"), ("prvversion", "string"), ("proposal_id", "string"),
    ("productFilename", "string"), ("size", "int"), ("parent_obsid", "string"),
    ("dataRights", "string"), ("calib_level", "int"), ("_selected_", "boolean"),
]

# The recorded cone searches: name -> (ra, dec, radius in degrees)
CONES = {
    "faint_cosmic_ray": None,  # filled from the demo manifest
    "field_edge": None,  # near a corner of the first exposure: only some exposures cover it
    "off_field": (187.9, 11.6, 2.0 / 3600),
}
CRITERIA = {"obs_collection": ["ROMAN"], "instrument_name": ["WFI"], "dataproduct_type": ["image"],
            "calib_level": ["2"]}


def response(fields, rows):
    return {"status": "COMPLETE", "msg": "",
            "fields": [{"name": n, "type": t} for n, t in fields],
            "data": rows,
            "paging": {"page": 1, "pageSize": len(rows), "pagesFiltered": 1, "rows": len(rows),
                       "rowsFiltered": len(rows), "rowsTotal": len(rows)}}


def main(demo_dir):
    import roman_datamodels as rdm
    from astropy.time import Time

    demo_dir = Path(demo_dir)
    manifest = json.loads((demo_dir / "demo.json").read_text())
    cr = manifest["faint_cosmic_ray"]
    CONES["faint_cosmic_ray"] = (cr["ra"], cr["dec"], 2.0 / 3600)
    with rdm.open(demo_dir / manifest["exposures"][0]["cal"]) as m:
        edge = m.meta.wcs.pixel_to_world_values(6.0, 6.0)
    CONES["field_edge"] = (round(float(edge[0]), 6), round(float(edge[1]), 6), 2.0 / 3600)

    observations, products, covering = [], [], {k: [] for k in CONES}
    for i, e in enumerate(manifest["exposures"]):
        cal, uncal = e["cal"], e["uncal"]
        obs_id = cal.removesuffix("_cal.asdf")
        obsid = str(310000001 + i)
        with rdm.open(demo_dir / cal) as m:
            wcs, (ny, nx) = m.meta.wcs, m.data.shape
            xs = [-0.5, nx - 0.5, nx - 0.5, -0.5]
            ys = [-0.5, -0.5, ny - 0.5, ny - 0.5]
            ra, dec = wcs.pixel_to_world_values(xs, ys)
            cra, cdec = wcs.pixel_to_world_values((nx - 1) / 2, (ny - 1) / 2)
            for name, (qra, qdec, _) in CONES.items():
                x, y = wcs.world_to_pixel_values(qra, qdec)
                if -0.5 <= x < nx - 0.5 and -0.5 <= y < ny - 0.5:
                    covering[name].append(obsid)
        t0 = Time(e["start_time"], scale="utc").mjd
        polygon = "POLYGON ICRS " + " ".join(f"{a:.8f} {d:.8f}" for a, d in zip(ra, dec))
        observations.append({
            "dataproduct_type": "image", "calib_level": 2, "obs_collection": "ROMAN", "obs_id": obs_id,
            "target_name": manifest["galaxy"]["name"], "s_ra": float(cra), "s_dec": float(cdec),
            "t_min": t0, "t_max": t0 + e["exposure_time_s"] / 86400, "t_exptime": e["exposure_time_s"],
            "wavelength_region": "INFRARED", "filters": manifest["filter"], "em_min": 1380.0,
            "em_max": 1774.0, "target_classification": "GALAXY", "obs_title": "roman-lab demo field",
            "t_obs_release": t0, "instrument_name": "WFI", "proposal_pi": "Roman Science Team",
            "proposal_id": obs_id[1:6], "project": "ROMAN", "s_region": polygon, "jpegURL": None,
            "dataURL": f"mast:ROMAN/product/{cal}", "dataRights": "PUBLIC", "mtFlag": False,
            "srcDen": 5000.0, "intentType": "science", "obsid": obsid, "objID": obsid, "distance": 0.0,
        })
        for fname, ptype, sub, level, group, desc in [
            (uncal, "SCIENCE", "UNCAL", 1, None, "exposure/level1"),
            (cal, "SCIENCE", "CAL", 2, "Minimum Recommended Products", "exposure/level2"),
            (obs_id + "_cat.asdf", "AUXILIARY", "CAT", 2, None, "source catalog"),
            (obs_id + "_cal.jpg", "PREVIEW", None, 2, None, "preview"),
        ]:
            path = demo_dir / fname
            products.append({
                "obsID": obsid, "obs_collection": "ROMAN", "dataproduct_type": "image", "obs_id": obs_id,
                "description": desc, "type": "S", "dataURI": f"mast:ROMAN/product/{fname}",
                "productType": ptype, "productGroupDescription": group,
                "productSubGroupDescription": sub, "productDocumentationURL": None, "project": "ROMAN",
                "prvversion": "0.1", "proposal_id": obs_id[1:6], "productFilename": fname,
                "size": path.stat().st_size if path.exists() else 1000, "parent_obsid": obsid,
                "dataRights": "PUBLIC", "calib_level": level, "_selected_": None,
            })

    recordings = []
    for name, (qra, qdec, qr) in CONES.items():
        rows = [o for o in observations if o["obsid"] in covering[name]]
        fname = f"Mast.Caom.Filtered.Position_{name}.json"
        (HERE / fname).write_text(json.dumps(response(OBS_FIELDS, rows), indent=1))
        recordings.append({"service": "Mast.Caom.Filtered.Position", "position": [qra, qdec, qr],
                           "filters": CRITERIA, "response": fname})
    for o in observations:  # lookup by obs_id (level1_for on an Exposure from elsewhere)
        fname = f"Mast.Caom.Filtered_{o['obs_id']}.json"
        (HERE / fname).write_text(json.dumps(response(OBS_FIELDS, [o]), indent=1))
        recordings.append({"service": "Mast.Caom.Filtered",
                           "filters": {"obs_collection": ["ROMAN"], "obs_id": [o["obs_id"]]},
                           "response": fname})
    (HERE / "Mast.Caom.Products.json").write_text(json.dumps(response(PRODUCT_FIELDS, products), indent=1))
    recordings.append({"service": "Mast.Caom.Products", "rows_by": "obsID", "response": "Mast.Caom.Products.json"})
    (HERE / "recordings.json").write_text(json.dumps(
        {"cones": {k: list(v) for k, v in CONES.items()}, "recordings": recordings}, indent=1))

    # the columns configuration astroquery fetches before building a filtered query: MAST's
    # Mast.Caom.Cone config as recorded by astroquery itself (BSD-3), and a small products config
    import astroquery.mast.tests as aqt
    shutil.copy(Path(aqt.__file__).parent / "data" / "columnsconfig.json", HERE / "columnsconfig_Mast.Caom.Cone.json")
    (HERE / "columnsconfig_Mast.Caom.Products.json").write_text(json.dumps(
        {n: {"text": n, "vot.datatype": {"int": "int", "boolean": "boolean"}.get(t, "char")}
         for n, t in PRODUCT_FIELDS}, indent=1))
    print({k: len(v) for k, v in covering.items()})


if __name__ == "__main__":
    main(sys.argv[1])
