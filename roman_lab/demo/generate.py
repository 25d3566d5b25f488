"""`make`: write the whole demo data set into a folder, or return it if it is already there."""

import json
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from astropy.time import Time

from roman_lab.io.skypixel import sky_to_pixel

from . import exposure as demo_exposure
from . import field, level1, level2, notebook, readme
from . import meta as demo_meta
from . import wcs as demo_wcs
from .mosaic import GOOD_BITS, MosaicBuilder
from .ramps import ReadPattern
from .sky import make_stars

MANIFEST = "demo.json"
ALGORITHM = "photon_torpedo.py"
FULL_SIZE_BYTES = 3.6e9  # what the full-size data set takes on disk


class DemoError(ValueError):
    """The demo cannot be written where asked; the message says why, for a person."""


class DemoManifest(dict):
    """The content of demo.json (a dict), plus the folder it describes."""

    def __init__(self, data, folder):
        super().__init__(data)
        self.folder = Path(folder)

    def path(self, name):
        """Absolute path of a file of the data set."""
        return self.folder / name

    @property
    def cal_files(self):
        return [self.path(e["cal"]) for e in self["exposures"]]

    @property
    def mosaic_file(self):
        return self.path(self["mosaic"]["file"])


def _prepare_folder(path, small):
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise DemoError(f"{folder} is a file, not a folder: give a folder for the demo data set.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise DemoError(f"cannot create the folder {folder}: a part of that path is a file.") from None
    except OSError as err:
        raise DemoError(f"cannot create the folder {folder}: {err.strerror}.") from None
    try:
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise DemoError(f"cannot write in the folder {folder}: {err.strerror}.") from None
    needed = FULL_SIZE_BYTES * (0.01 if small else 1.0)
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise DemoError(f"the demo data set needs about {needed / 1e9:.1f} GB free in {folder}; "
                        f"only {free / 1e9:.1f} GB are.")
    return folder.resolve()


def _existing(folder, small):
    """The manifest of an up-to-date data set of the same size already in `folder`, or None."""
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if data.get("generator_version") != field.GENERATOR_VERSION or data.get("small") != small:
        return None
    if not all((folder / name).is_file() for name in data.get("files", [])):
        return None
    return DemoManifest(data, folder)


class _Progress:
    """A tqdm bar over the generation steps that also records the wall time of each phase."""

    def __init__(self, total, enabled):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc="roman-lab demo", unit="step", disable=not enabled)
        self.seconds = {}

    @contextmanager
    def phase(self, name, label):
        self.bar.set_postfix_str(label)
        start = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
        self.bar.update(1)

    def close(self):
        self.bar.close()


def make(dir, small=False, progress=True, overwrite=False, threads=2):
    """Write the demo Roman field into folder `dir` and return its manifest (also `dir/demo.json`).

    If the folder already holds a complete data set of the same size made by this generator
    version, it is returned as is (pass overwrite=True to regenerate). Raises DemoError when
    `dir` cannot be used (a file, a path through a file, not writable, not enough space).
    """
    folder = _prepare_folder(dir, small)
    if not overwrite:
        found = _existing(folder, small)
        if found is not None:
            return found
    (folder / MANIFEST).unlink(missing_ok=True)  # a half-written data set has no manifest

    started = time.perf_counter()
    size = field.Size(small)
    ramp = ReadPattern()
    stars = make_stars()
    mosaic = MosaicBuilder(size, len(field.EXPOSURES), threads=threads)
    conversion = demo_meta.conversion_mjy_sr(size)
    progress_bar = _Progress(3 * len(field.EXPOSURES) + 3, progress)
    records, member_metas, faint, checks = [], [], None, {"wcs_roundtrip_max_px": 0.0, "sip_max_error_px": 0.0}
    try:
        # Files are written by a second thread while the next exposure is simulated; at most
        # one exposure waits for the disk, which bounds the memory.
        with ThreadPoolExecutor(max_workers=1) as writer:
            pending = None
            for index, ex in enumerate(field.EXPOSURES):
                with progress_bar.phase("simulate", f"simulating {ex.cal_name}"):
                    data = demo_exposure.simulate(index, ex, size, stars, ramp, threads=threads)
                    products = [(level1.build(data, size, ramp), ex.uncal_name),
                                (level2.build(data, size, ramp), ex.cal_name)]
                    member_metas.append(products[1][0].meta)
                with progress_bar.phase("write_exposures", f"writing {ex.cal_name}"):
                    if pending is not None:
                        pending.result()
                    pending = writer.submit(_save, products, folder)
                with progress_bar.phase("resample", f"resampling {ex.cal_name}"):
                    mosaic.add(index, {**data.l2, "wcs": data.wcs}, member_metas[-1].exposure.exposure_time,
                               conversion)
                checks["wcs_roundtrip_max_px"] = max(checks["wcs_roundtrip_max_px"],
                                                     demo_wcs.roundtrip_error(data.wcs, size.npix))
                checks["sip_max_error_px"] = max(checks["sip_max_error_px"],
                                                 demo_wcs.sip_error(data.wcs, size.npix))
                records.append(_exposure_record(data, member_metas[-1], size))
                faint = faint or data.faint or None
                del data, products
            with progress_bar.phase("write_exposures", "writing the last exposure"):
                pending.result()
        with progress_bar.phase("write_mosaic", f"writing {field.MOSAIC_NAME}"):
            mosaic.build(member_metas, field.MOSAIC_NAME).save(folder / field.MOSAIC_NAME)
        checks["pixmap_max_error_px"] = max(mosaic.pixmap_errors)
        with progress_bar.phase("extras", "writing the notebook, algorithm and README"):
            shutil.copyfile(Path(__file__).with_name(ALGORITHM), folder / ALGORITHM)
            notebook.write(folder / notebook.NOTEBOOK)
            manifest = _manifest(folder, small, size, ramp, records, faint, mosaic, checks)
            (folder / readme.README).write_text(readme.text(manifest))
    finally:
        progress_bar.close()
    manifest["build_seconds"] = {k: round(v, 2) for k, v in progress_bar.seconds.items()}
    manifest["build_seconds"]["total"] = round(time.perf_counter() - started, 2)
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return DemoManifest(manifest, folder)


def _save(products, folder):
    for model, name in products:
        model.save(folder / name)


def _exposure_record(data, meta, size):
    ex = data.exposure
    gx, gy = sky_to_pixel(data.wcs, field.GALAXY_RA, field.GALAXY_DEC, shape=(size.npix, size.npix))
    return {
        "cal": ex.cal_name,
        "uncal": ex.uncal_name,
        "detector": ex.detector,
        "visit": ex.visit,
        "exposure": ex.exposure,
        "roll_deg": ex.roll,
        "pa_aperture_deg": round(meta.pointing.pa_aperture, 4),
        "ra_ref": data.ra_ref,
        "dec_ref": data.dec_ref,
        "start_time": meta.exposure.start_time.isot,
        "exposure_time_s": meta.exposure.exposure_time,
        "n_cosmic_rays": data.n_cosmic_rays,
        "galaxy_pixel": [round(float(gx), 2), round(float(gy), 2)],
    }


def _manifest(folder, small, size, ramp, records, faint, mosaic, checks):
    files = [name for r in records for name in (r["cal"], r["uncal"])]
    files += [field.MOSAIC_NAME, ALGORITHM, notebook.NOTEBOOK, readme.README]
    return {
        "generator": "roman-lab demo",
        "generator_version": field.GENERATOR_VERSION,
        "small": small,
        "seed": field.SEED,
        "created": Time.now().isot,
        "galaxy": {"name": field.GALAXY_NAME, "ra": field.GALAXY_RA, "dec": field.GALAXY_DEC},
        "filter": field.FILTER,
        "detectors": sorted({r["detector"] for r in records}),
        "detector_pixels": size.npix,
        "pixel_scale_arcsec": size.scale,
        "units": {"l2": "DN / s", "l1": "DN", "mosaic": "MJy / sr"},
        "noise": {
            "read_noise_dn": ramp.read_noise,
            "gain_e_per_dn": ramp.gain,
            "frame_time_s": ramp.frame_time,
            "read_pattern": ramp.pattern,
            "resultant_times_s": [round(float(t), 4) for t in ramp.times],
            "saturation_dn": field.SATURATION,
            "bias_dn": field.BIAS_LEVEL,
        },
        "exposures": records,
        "mosaic": {
            "file": field.MOSAIC_NAME,
            "shape": [size.mosaic_npix, size.mosaic_npix],
            "pixel_scale_arcsec": size.scale,
            "members": [r["cal"] for r in records],
            "good_bits": GOOD_BITS,
        },
        "faint_cosmic_ray": {
            **faint,
            "flagged": False,
            "significance_definition": (
                "(D_k - r * dt_k) / sigma_k for the brightest pixel, D_k = R_k - R_(k-1) of the L1 resultants, "
                "r = sum of the other differences / their time span, sigma_k from read noise and Poisson noise "
                "(roman_lab.demo.ramps.ReadPattern.jump_significance)"
            ),
        },
        "algorithm": ALGORITHM,
        "notebook": notebook.NOTEBOOK,
        "readme": readme.README,
        "files": files,
        "checks": {k: float(f"{v:.3g}") for k, v in checks.items()},
    }

