"""Roman exposures from MAST, through astroquery.mast (its CAOM observation search and the
products of each observation): `MastArchive(timeout=30, base_url=None).find(region)`.

Every request has a bounded time: a socket timeout on the astroquery session (astroquery itself
sends its requests with no timeout) plus astroquery's own limit on MAST's "EXECUTING" polling.
A network that is down, a MAST that does not answer in time or answers with a server error all
raise `MastUnavailableError` (a ConnectionError) naming MAST, the URL and the timeout.
"""

import re
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from ..io.names import L1_SUFFIX, L2_SUFFIX, detector_of_name
from ..skycircle import sky_circle
from .base import Archive, Exposure, ExposureList
from .footprint import Footprint

__all__ = ["MastArchive", "MastError", "MastUnavailableError"]

COLLECTION = "ROMAN"
INSTRUMENT = "WFI"
_CAL, _UNCAL = L2_SUFFIX, L1_SUFFIX


class MastUnavailableError(ConnectionError):
    """MAST could not be reached, or did not answer within the timeout."""


class MastError(RuntimeError):
    """MAST answered, but with an error (e.g. a query it could not run)."""


class _TimeoutAdapter(HTTPAdapter):
    """Gives every request of the session a (connect, read) timeout when the caller set none."""

    def __init__(self, timeout, **kwargs):
        self.default_timeout = timeout
        super().__init__(max_retries=0, **kwargs)

    def send(self, request, stream=False, timeout=None, **kwargs):
        return super().send(request, stream=stream, timeout=timeout or self.default_timeout, **kwargs)


def _mjd_to_iso(mjd):
    from astropy.time import Time

    return Time(float(mjd), format="mjd", scale="utc").isot


def _value(row, name, default=None):
    """A table cell as a plain Python value (None when the column is missing or masked)."""
    import numpy as np

    if name not in row.colnames:
        return default
    value = row[name]
    if value is np.ma.masked or (np.ma.isMaskedArray(value) and value.mask.all()):
        return default
    if isinstance(value, bytes):
        value = value.decode()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, str) and not value.strip():
        return default
    return value


def _coverage(s_region, ra, dec, radius_deg):
    """"full" when the circle lies inside the observation's footprint polygon (its `s_region`),
    else "partial": the same spherical geometry as the local and lineage footprints."""
    if not s_region or not s_region.upper().startswith("POLYGON"):
        return "partial"
    nums = [float(v) for v in s_region.split()[1:] if re.match(r"^[-+0-9.eE]+$", v)]
    if len(nums) < 6:
        return "partial"
    try:
        footprint = Footprint(nums[0::2], nums[1::2])
    except ValueError:  # degenerate, or larger than a hemisphere
        return "partial"
    return "full" if footprint.overlap(ra, dec, radius_deg) == "full" else "partial"


class MastArchive(Archive):
    """Roman WFI Level 2 exposures at MAST.

    timeout: seconds for each request (connect and each read) and for MAST's query polling.
    base_url: the MAST server (default: ``astroquery.mast.conf.server``, https://mast.stsci.edu).
    """

    name = "mast"

    def __init__(self, timeout=30, base_url=None):
        self.timeout = float(timeout)
        self.base_url = base_url
        self._observations = None
        self._obsids = {}  # exposure name -> MAST obsid (the product group id), from find()

    # -- astroquery ------------------------------------------------------------------------

    @property
    def server(self):
        from astroquery.mast import conf

        return (self.base_url or conf.server).rstrip("/")

    @property
    def observations(self):
        """An `astroquery.mast.ObservationsClass` of our own, pointed at `server`, its session
        with our timeout (the shared `Observations` singleton is left alone).

        astroquery 0.4 has no public per-instance server, session or timeout (its URLs are class
        attributes built from ``conf.server`` at import), hence the private attributes below."""
        if self._observations is None:
            from astroquery.mast import ObservationsClass

            obs = ObservationsClass()
            adapter = _TimeoutAdapter(self.timeout)
            obs._session.mount("http://", adapter)
            obs._session.mount("https://", adapter)
            portal = obs._portal_api_connection
            server = self.server
            # these are class attributes built from conf.server at import: set them per instance
            portal.MAST_REQUEST_URL = server + "/api/v0/invoke"
            portal.COLUMNS_CONFIG_URL = server + "/portal/Mashup/Mashup.asmx/columnsconfig"
            portal.MAST_DOWNLOAD_URL = server + "/api/v0.1/Download/file"
            portal.MAST_BUNDLE_URL = server + "/api/v0.1/Download/bundle"
            portal.TIMEOUT = self.timeout
            portal._column_configs = {}  # not the class-wide cache: it belongs to one server
            service = obs._service_api_connection
            service.SERVICE_URL = server
            service.REQUEST_URL = server + "/api/v0.1/"
            service.MISSIONS_DOWNLOAD_URL = server + "/search/"
            service.MAST_DOWNLOAD_URL = server + "/api/v0.1/Download/file"
            service.TIMEOUT = self.timeout
            self._observations = obs
        return self._observations

    def _call(self, what, fn, *args, bounded=True, **kwargs):
        """Run an astroquery call, turning network trouble into MastUnavailableError.

        Every socket operation has the `timeout`; a `bounded` call (a query, not a download)
        is also given `timeout` in total, so a server that drips its answer cannot stall it."""
        import threading
        import warnings

        from astroquery.exceptions import NoResultsWarning, RemoteServiceError

        start = time.monotonic()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NoResultsWarning)
                if not bounded:
                    return fn(*args, **kwargs)
                outcome = {}

                def run():
                    try:
                        outcome["value"] = fn(*args, **kwargs)
                    except BaseException as err:  # noqa: BLE001 (handed to the caller below)
                        outcome["error"] = err

                worker = threading.Thread(target=run, name="roman-lab MAST query", daemon=True)
                worker.start()
                worker.join(self.timeout + 0.5)  # the socket timeout normally fires first
                if worker.is_alive():
                    # leave the stuck request behind (its socket timeout ends it) with its session
                    self._observations = None
                    raise TimeoutError(f"no complete answer within {self.timeout:g} s")
                if "error" in outcome:
                    raise outcome["error"]
                return outcome["value"]
        except (requests.exceptions.Timeout, TimeoutError) as err:
            raise MastUnavailableError(
                f"MAST ({self.server}) did not answer {what} within the {self.timeout:g} s timeout "
                f"(after {time.monotonic() - start:.1f} s); try again later or raise MastArchive(timeout=...)"
            ) from err
        except requests.exceptions.ConnectionError as err:
            raise MastUnavailableError(
                f"MAST ({self.server}) cannot be reached for {what} (timeout {self.timeout:g} s): "
                f"{type(err).__name__}; is the network up?"
            ) from err
        except requests.exceptions.HTTPError as err:
            status = err.response.status_code if err.response is not None else "?"
            if isinstance(status, int) and status < 500:
                raise MastError(f"MAST ({self.server}) refused {what}: HTTP {status}") from err
            raise MastUnavailableError(
                f"MAST ({self.server}) failed {what}: HTTP {status} (timeout {self.timeout:g} s)"
            ) from err
        except RemoteServiceError as err:
            raise MastError(f"MAST ({self.server}) could not run {what}: {err}") from err

    # -- Archive -----------------------------------------------------------------------------

    def find(self, region):
        """The Roman WFI L2 `_cal` exposures whose footprint covers the circle `region`
        (a regions.CircleSkyRegion, or a (SkyCoord, radius) pair: radius an angle Quantity or a
        bare number of arcsec), sorted by start time, as remote `Exposure`s."""
        region = sky_circle(region, point=True).to_region()
        center = region.center
        radius = region.radius.to("deg").value
        obs = self.observations
        table = self._call(
            "the Roman observation search", obs.query_criteria,
            coordinates=center, radius=radius * _deg(), obs_collection=COLLECTION,
            instrument_name=INSTRUMENT, dataproduct_type="image", calib_level=2,
        )
        where = f"at RA {center.ra.deg:.6f}, Dec {center.dec.deg:.6f} (radius {radius * 3600:g}\")"
        if table is None or len(table) == 0:
            return ExposureList([], message=f"MAST has no Roman WFI Level 2 observation {where}.", archive=self)
        products = self._call("the product list", obs.get_product_list, table)
        cal = self._cal_products(products)
        by_obsid = {str(_value(r, "obsid")): r for r in table}
        exposures = []
        for p in cal:
            o = by_obsid.get(str(_value(p, "obsID")))
            if o is None:
                continue
            exposures.append(self._exposure(p, o, center, radius))
        msg = "" if exposures else f"MAST has Roman observations {where} but no Level 2 _cal products."
        return ExposureList(exposures, message=msg, archive=self)

    def _cal_products(self, products):
        if products is None or len(products) == 0:
            return []
        return self.observations.filter_products(
            products, productType="SCIENCE", productSubGroupDescription="CAL", extension=_CAL
        )

    def _exposure(self, product, obs, center=None, radius=None):
        name = _value(product, "productFilename")
        obs_id = _value(obs, "obs_id") or _value(product, "obs_id") or name.removesuffix(_CAL)
        self._obsids[name] = str(_value(obs, "obsid"))
        t_min = _value(obs, "t_min")
        program = _value(obs, "proposal_id") or (obs_id[1:6] if obs_id.startswith("r") else None)
        coverage = "partial"
        if center is not None:
            coverage = _coverage(_value(obs, "s_region"), center.ra.deg, center.dec.deg, radius)
        return Exposure(
            name=name,
            source="mast",
            uri=_value(product, "dataURI"),
            exposure_id=obs_id,
            start_time=_mjd_to_iso(t_min) if t_min is not None else None,
            exposure_time=_value(obs, "t_exptime"),
            detector=detector_of_name(name),
            optical_element=_value(obs, "filters"),
            program=str(program) if program is not None else None,
            visit=obs_id[1:20] if re.match(r"^r\d{19}", obs_id) else None,  # like meta.observation.visit_id
            coverage=coverage,
        )

    def _obsid_for(self, exposure):
        if exposure.name in self._obsids:
            return self._obsids[exposure.name]
        obs_id = exposure.exposure_id or exposure.name.removesuffix(_CAL)
        table = self._call(f"the observation {obs_id}", self.observations.query_criteria,
                           obs_collection=COLLECTION, obs_id=obs_id)
        if table is None or len(table) == 0:
            raise FileNotFoundError(f"MAST has no Roman observation {obs_id}")
        return str(_value(table[0], "obsid"))

    def level1_for(self, exposure):
        """The Level 1 `_uncal` product of the same observation as the L2 `exposure`, as a
        remote Exposure (download it with `download([...], directory)`)."""
        obsid = self._obsid_for(exposure)
        products = self._call("the product list", self.observations.get_product_list, obsid)
        want = exposure.name.replace(_CAL, _UNCAL)
        rows = [p for p in products
                if str(_value(p, "productFilename", "")).endswith(_UNCAL)
                and _value(p, "productType") == "SCIENCE"]
        rows.sort(key=lambda p: _value(p, "productFilename") != want)  # the matching name first
        if not rows:
            raise FileNotFoundError(f"MAST has no _uncal product for {exposure.name}")
        p = rows[0]
        return Exposure(
            name=_value(p, "productFilename"), source="mast", uri=_value(p, "dataURI"),
            exposure_id=exposure.exposure_id, start_time=exposure.start_time,
            exposure_time=exposure.exposure_time, detector=exposure.detector,
            optical_element=exposure.optical_element, program=exposure.program, visit=exposure.visit,
        )

    def fetch_level1(self, exposure, directory, progress=False):
        """The local path of the L1 `_uncal` file behind `exposure`, downloaded into `directory`."""
        return self.download([self.level1_for(exposure)], directory, progress=progress)[0]

    def download(self, exposures, directory, progress=True):
        """Fetch the exposures' products into `directory` (kept when already there with the right
        size); returns their local paths in order. Local exposures are returned as they are."""
        from tqdm.auto import tqdm

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        exposures = list(exposures)
        paths = []
        bar = tqdm(exposures, desc="MAST download", unit="file", disable=not progress)
        for e in bar:
            if e.uri is None:
                paths.append(Path(e.path))
                continue
            bar.set_postfix_str(e.name)
            target = directory / e.name
            status, msg, url = self._call(
                f"the download of {e.name}", self.observations.download_file,
                e.uri, local_path=str(target), cache=True, verbose=False, bounded=False,
            )
            if status != "COMPLETE":
                if msg and ("HTTPError: 5" in msg or "Server Error" in msg):
                    raise MastUnavailableError(f"MAST ({self.server}) failed the download of {e.name}: {msg}")
                raise MastError(f"MAST download of {e.name} failed: {msg} ({url})")
            paths.append(target)
        bar.close()
        return paths


def _deg():
    import astropy.units as u

    return u.deg
