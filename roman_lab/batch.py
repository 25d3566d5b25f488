"""Batch conversion on dask.distributed: many Roman files into stores, on a LocalCluster or a
real scheduler. (No home-made worker pool: dask schedules, retries and reports.)"""

from pathlib import Path


def _convert_one(path, cache_dir):
    """One file on a worker; bad input comes back as a result, not a failed task."""
    from .io import RomanFileError
    from .store import convert

    try:
        store = convert(path, cache_dir=cache_dir, progress=False)
    except RomanFileError as err:
        return {"path": str(path), "ok": False, "status": err.status, "message": err.message}
    return {
        "path": str(path),
        "ok": True,
        "id": store.id,
        "level": store.level,
        "store": str(store.path),
        "sip_max_error_px": store.sip_max_error_px,
    }


def convert_many(paths, cache_dir=None, scheduler=None, progress=True, n_workers=None):
    """Converts `paths` on dask.distributed; returns one result dict per path, in order.

    scheduler: the address of a running scheduler (e.g. "tcp://10.0.0.5:8786"); None starts a
    LocalCluster on this machine for the duration of the call.
    """
    from dask.distributed import Client, LocalCluster, as_completed
    from tqdm.auto import tqdm

    from .store import default_cache_dir
    from .store.cache import is_url

    paths = [p if is_url(p) else str(Path(p).expanduser().resolve()) for p in paths]
    cache_dir = cache_dir or default_cache_dir()
    cache_dir = cache_dir if is_url(cache_dir) else str(Path(cache_dir).expanduser())
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None)
    try:
        with Client(scheduler or cluster) as client:
            futures = client.map(_convert_one, paths, cache_dir=cache_dir, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            results = [None] * len(paths)
            with tqdm(total=len(paths), unit="file", desc="Converting", disable=not progress) as bar:
                for future in as_completed(futures):
                    results[index[future.key]] = future.result()
                    bar.update()
            return results
    finally:
        if cluster is not None:
            cluster.close()
