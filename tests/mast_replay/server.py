"""A loopback HTTP server that answers like MAST's portal API from the recordings in this folder,
so the real astroquery.mast code (request building, paging, columns config, JSON parsing,
product filtering, downloads) runs in the tests without the internet.

Endpoints (the ones astroquery.mast.Observations uses):
  POST /portal/Mashup/Mashup.asmx/columnsconfig   body colConfigId=<service>
  POST /api/v0/invoke                             body request=<url-encoded Mashup JSON>
  GET|HEAD /api/v0.1/Download/file?uri=mast:ROMAN/product/<file>   bytes of <file> in `files`

Invoke requests are matched by service name and parameters against recordings.json:
Mast.Caom.Filtered.Position by its position (ra, dec, radius within 1e-6 deg) and filters,
Mast.Caom.Filtered by its filters, Mast.Caom.Products by returning the recorded product rows
whose obsID is one of the requested obsids. An unmatched request gets MAST's error shape
({"status": "ERROR", "msg": ...}), which astroquery raises as RemoteServiceError.
`delay` (seconds) makes every answer late and `drip` (seconds per byte) makes it trickle, to
test timeouts.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

HERE = Path(__file__).parent


def _load(name):
    return json.loads((HERE / name).read_text())


def _filters(mashup_filters):
    return {f["paramName"]: sorted(str(v) for v in f["values"]) for f in mashup_filters}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, body, content_type="application/json", head=False):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")  # no keep-alive: once stopped, nothing answers
        self.end_headers()
        if head:
            return
        drip = self.server.replay.drip
        if drip:  # one byte at a time, each a little late: slow, but never silent for long
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(drip)
        else:
            self.wfile.write(body)

    def _fail(self, code, msg):
        body = msg.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")  # no keep-alive: once stopped, nothing answers
        self.end_headers()
        self.wfile.write(body)

    def _late(self):
        if self.server.replay.delay:
            time.sleep(self.server.replay.delay)

    def do_POST(self):
        self._late()
        replay = self.server.replay
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        path = urlparse(self.path).path
        replay.requests.append(("POST", path, body))
        if path.endswith("/portal/Mashup/Mashup.asmx/columnsconfig"):
            service = parse_qs(body)["colConfigId"][0]
            name = f"columnsconfig_{service}.json"
            if not (HERE / name).exists():
                return self._send(b"{}")  # what MAST answers for an unknown config
            return self._send((HERE / name).read_bytes())
        if path.endswith("/api/v0/invoke"):
            request = json.loads(parse_qs(body)["request"][0])
            return self._send(json.dumps(replay.answer(request)).encode())
        self._fail(404, f"no such endpoint {path}")

    def _download(self, head):
        self._late()
        url = urlparse(self.path)
        self.server.replay.requests.append(("HEAD" if head else "GET", url.path, url.query))
        if not url.path.endswith("/api/v0.1/Download/file"):
            return self._fail(404, f"no such endpoint {url.path}")
        uri = unquote(parse_qs(url.query)["uri"][0])
        name = uri.rsplit("/", 1)[-1]
        path = Path(self.server.replay.files or "/nonexistent") / name
        if not uri.startswith("mast:ROMAN/product/") or not path.is_file():
            return self._fail(404, f"{uri} not found")
        self._send(path.read_bytes(), "application/octet-stream", head=head)

    def do_GET(self):
        self._download(head=False)

    def do_HEAD(self):
        self._download(head=True)


class ReplayServer:
    """`with ReplayServer(files=demo_dir) as mast: MastArchive(base_url=mast.url)...`"""

    def __init__(self, files=None, delay=0.0, drip=0.0):
        self.files = files
        self.delay = delay
        self.drip = drip
        self._port = None
        self.requests = []
        index = _load("recordings.json")
        self.cones = index["cones"]
        self.recordings = index["recordings"]
        self._httpd = None

    def answer(self, request):
        service, params = request["service"], request.get("params", {})
        for rec in self.recordings:
            if rec["service"] != service:
                continue
            if service == "Mast.Caom.Products":
                wanted = set(str(params.get("obsid", "")).split(","))
                recorded = _load(rec["response"])
                rows = [r for r in recorded["data"] if r[rec["rows_by"]] in wanted]
                n = len(rows)
                recorded.update(data=rows, paging={"page": 1, "pageSize": max(n, 1), "pagesFiltered": 1,
                                                   "rows": n, "rowsFiltered": n, "rowsTotal": n})
                return recorded
            if _filters(params.get("filters", [])) != {k: sorted(v) for k, v in rec["filters"].items()}:
                continue
            if "position" in rec:
                got = [float(v) for v in str(params.get("position", "")).split(",")]
                if len(got) != 3 or any(abs(a - b) > 1e-6 for a, b in zip(got, rec["position"])):
                    continue
            return _load(rec["response"])
        return {"status": "ERROR", "msg": f"replay: no recording for {service} {json.dumps(params)}",
                "data": [], "fields": []}

    def start(self):
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.replay = self
        self._port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def port(self):
        return self._port  # kept after stop(): then nothing listens there (connection refused)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
