"""The Jupyter server extension: REST handlers under `/roman-lab/`."""

import threading
from pathlib import Path

from traitlets import Dict, Int, Unicode
from traitlets.config import Configurable

NAMESPACE = "roman-lab"


class RomanLab(Configurable):
    """Settings of the server extension (`c.RomanLab.cache_dir = ...` in jupyter_server_config.py)."""

    cache_dir = Unicode(
        "", config=True,
        help="Folder of the zarr stores, or an object storage URL such as s3://bucket/prefix shared by the users "
             "of a JupyterHub (default: $ROMAN_LAB_CACHE or ~/.cache/roman-lab/stores).",
    )
    cache_storage_options = Dict(
        {}, config=True,
        help="fsspec options of an object storage cache_dir, e.g. {'endpoint_url': 'https://s3.example.org'} "
             "(default: fsspec's and the AWS SDK's own configuration: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...).",
    )
    cache_max_bytes = Int(
        0, config=True, help="Size limit of the store cache, least recently used evicted first (0: $ROMAN_LAB_CACHE_MAX or 20 GiB)."
    )
    index_db = Unicode(
        "", config=True,
        help="The SQLite index of the local archive (default: the kernel's, ~/.cache/roman-lab/archive.sqlite, "
             "or .archive.sqlite in cache_dir when that is set).",
    )
    conversion_workers = Int(2, config=True, help="How many files are converted at once.")
    ramps_max_pixels = Int(
        20_000, config=True, help="Most pixels GET /roman-lab/api/ramps returns for one circle; a larger circle is refused (413)."
    )
    mast = Dict(
        {}, config=True, help="Options of the MAST exposure source (roman_lab.archive.mast.MastArchive), e.g. {'timeout': 30}."
    )


def no_huge_pages_for_arrays(log):
    """NumPy asks Linux for transparent huge pages for each large array; a conversion makes and
    frees hundreds of MB of them per file, and where the kernel then compacts memory to find
    huge pages (`defrag` `madvise`, a page cache filling the RAM) each one costs: measured in this
    server, a never-seen file's stage 1 took ~2x as long with them (full-size L2 130-159 against
    74-79 ms, L3 mosaic 545 against 261 ms; docs/performance.md). The server process is ours, so
    it asks for none; `NUMPY_MADVISE_HUGEPAGE`, when set, decides instead (a kernel is the
    user's, and keeps NumPy's default)."""
    import os

    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:  # another NumPy: its default stays
        log.info("roman-lab: NumPy's huge-page switch was not found; its default stays")
        return
    _set_madvise_hugepage(False)


def load(server_app):
    """Register the handlers on the running server's web app (imported here, so a kernel that
    answers its widget with `api.py` does not import jupyter_server)."""
    from jupyter_server.utils import url_path_join

    from ..store import cache
    from .api import Context, make_conversions, warmup
    from .handlers import (
        DqFlagsHandler,
        ExposuresHandler,
        HealthHandler,
        InfoHandler,
        RampsHandler,
        ResolveHandler,
        StoreFileHandler,
        StoreJobHandler,
        StoresHandler,
    )
    from .openstores import OpenStores, RemoteOpenStores
    from .paths import jupyter_root
    from .triage import TriageHandler

    config = RomanLab(parent=server_app)
    cache_dir = config.cache_dir.rstrip("/") or cache.default_cache_dir()
    remote = cache.is_url(cache_dir)
    cache_dir = cache_dir if remote else Path(cache_dir).expanduser()
    options = dict(config.cache_storage_options)
    max_bytes = config.cache_max_bytes or cache.default_max_bytes()
    web_app = server_app.web_app
    root = jupyter_root(server_app)
    web_app.settings["roman_lab_context"] = Context(
        root=root,
        conversions=make_conversions(cache_dir, max_bytes, workers=config.conversion_workers, storage_options=options),
        cache_dir=cache_dir,
        open_stores=RemoteOpenStores(cache_dir, options) if remote else OpenStores(cache_dir),
        index_db=(
            Path(config.index_db).expanduser() if config.index_db
            else cache_dir / ".archive.sqlite" if config.cache_dir and not remote else None  # None: the kernel's default
        ),
        mast=dict(config.mast),
        ramps_max_pixels=config.ramps_max_pixels,
    )
    base = url_path_join(web_app.settings["base_url"], NAMESPACE)
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "api", "health"), HealthHandler),
            (url_path_join(base, "api", "info"), InfoHandler),
            (url_path_join(base, "api", "dqflags"), DqFlagsHandler),
            (url_path_join(base, "api", "exposures"), ExposuresHandler),
            (url_path_join(base, "api", "resolve"), ResolveHandler),
            (url_path_join(base, "api", "ramps"), RampsHandler),
            (url_path_join(base, "api", "triage"), TriageHandler),
            (url_path_join(base, "api", "stores"), StoresHandler),
            (url_path_join(base, "api", "stores", r"([^/]+)"), StoreJobHandler),
            (url_path_join(base, "stores", r"([^/]+)", r"(.*)"), StoreFileHandler),
        ],
    )
    no_huge_pages_for_arrays(server_app.log)
    # The first ASDF open in a process costs ~1 s of imports: pay it now, off the event loop.
    threading.Thread(target=warmup, name="roman-lab-warmup", daemon=True).start()
    server_app.log.info("roman-lab: server extension loaded under %s (root %s, stores in %s)", base, root, cache_dir)
