"""The notebook widget's way to the roman-lab endpoints: anywidget custom messages to its kernel.

A notebook in VS Code, Colab or a Voila page has no roman-lab REST server the page can reach,
but every widget has its kernel. The browser (src/widget/channel.ts) sends

    {"roman_lab": "request", "id": N, "method": "GET" | "POST", "path": [...], "query": {...}, "body": ...}
    {"roman_lab": "store", "id": N, "store": STORE_ID, "key": ZARR_KEY}

and the kernel answers `{"roman_lab": "answer", "id": N, "status": 200}` with one buffer (the JSON
text, or the key's bytes), or `{"roman_lab": "answer", "id": N, "status": 4xx/5xx, "message": ...}`.
Requests run `roman_lab.server.api.dispatch`, the same functions the REST handlers call, in
worker threads (a conversion runs in the kernel's own `Conversions` pool and is polled), so the
kernel keeps answering while they work. Store keys, small file reads, are answered at once.

Files: paths under the kernel's working directory, and the files of the viewer's own stack
(loaded from Python, wherever they are); anything else is refused as the server refuses it.
"""

from __future__ import annotations

import functools
import json
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_REQUESTS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="roman-lab-channel")


@functools.lru_cache(maxsize=None)
def _kernel_stores(cache_dir):
    """The kernel's conversions and complete stores of one cache folder, shared by its viewers."""
    from ..server.api import make_conversions
    from ..server.openstores import OpenStores, RemoteOpenStores
    from ..store import cache

    stores = RemoteOpenStores(cache_dir, None) if cache.is_url(cache_dir) else OpenStores(cache_dir)
    return make_conversions(cache_dir, cache.default_max_bytes()), stores


@functools.cache
def _warm_kernel():
    """The endpoints' imports and the first ASDF open, once per kernel, in a thread: the widget's
    first requests come as soon as it is displayed."""

    def warm():
        from ..server.api import warmup

        warmup()

    threading.Thread(target=warm, name="roman-lab-warmup", daemon=True).start()


class Channel:
    """Answers one viewer's requests (registered with `widget.on_msg`)."""

    def __init__(self, widget):
        self._widget = weakref.ref(widget)
        widget.on_msg(self.handle)
        _warm_kernel()

    def context(self):
        """The endpoints' context: the kernel's working directory as the root, the stack's files."""
        from ..server.api import Context
        from ..store import cache

        cache_dir = cache.default_cache_dir()
        conversions, open_stores = _kernel_stores(cache_dir)
        widget = self._widget()
        stack = frozenset(entry["path"] for entry in widget.images) if widget is not None else frozenset()
        return Context(root=Path.cwd().resolve(), conversions=conversions, cache_dir=cache_dir,
                       open_stores=open_stores, readable=stack)

    def handle(self, widget, content, buffers):
        if not isinstance(content, dict) or "id" not in content:
            return
        kind = content.get("roman_lab")
        if kind == "store":
            self._answer(widget, content["id"], lambda: _store_key(self.context(), content))
        elif kind == "request":
            _REQUESTS.submit(self._answer, widget, content["id"], lambda: _request(self.context(), content))

    @staticmethod
    def _answer(widget, request_id, work):
        from ..server.errors import RomanHTTPError

        try:
            payload = work()
        except RomanHTTPError as err:
            widget.send({"roman_lab": "answer", "id": request_id, "status": err.status_code, "message": err.message})
            return
        except Exception as err:  # a bug, not bad input: still an answer, and the kernel keeps serving
            message = f"The kernel failed to answer: {type(err).__name__}: {err}"
            widget.send({"roman_lab": "answer", "id": request_id, "status": 500, "message": message})
            return
        widget.send({"roman_lab": "answer", "id": request_id, "status": 200}, buffers=[payload])


def _request(ctx, content):
    from ..server.api import dispatch

    path = content.get("path")
    query = content.get("query") or {}
    if not isinstance(path, list) or not all(isinstance(part, str) for part in path) or not isinstance(query, dict):
        from ..server.errors import RomanHTTPError

        raise RomanHTTPError(400, "A roman-lab request names its endpoint as a list of strings.")
    answer = dispatch(ctx, content.get("method", "GET"), path, {str(k): str(v) for k, v in query.items()},
                      content.get("body"))
    return json.dumps(answer, separators=(",", ":")).encode()


def _store_key(ctx, content):
    from ..server.api import store_key
    from ..server.errors import RomanHTTPError

    store, key = str(content.get("store")), str(content.get("key"))
    data = store_key(ctx, store, key)
    if data is None:
        raise RomanHTTPError(404, f"Store {content.get('store')} has no key {content.get('key')!r}.")
    if "/c/" in key:  # the widget has its first pixels: the conversion's stage 2 may go on
        ctx.conversions.chunk_served(store)
    return data
