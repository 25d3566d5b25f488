"""What the browser benchmarks share: a real JupyterLab with roman-lab on loopback (its own
port, token, store cache and workspaces, so no saved layout reopens old viewers), and the
environment their Playwright halves run in."""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """`jupyter lab` serving `root`, its store cache and workspaces under `work`, the app
    exposed to the page (`window.jupyterapp`); `extra` are more command-line options."""

    def __init__(self, root, work, *extra, cwd=None, env=None, stderr=subprocess.DEVNULL, timeout=60):
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.headers = {"Authorization": f"token {self.token}"}
        work = Path(work)
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "jupyter"), "lab", f"--ServerApp.root_dir={root}", f"--port={self.port}",
             "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}", "--ServerApp.open_browser=False",
             "--allow-root", "--LabApp.expose_app_in_browser=True", f"--RomanLab.cache_dir={work / 'cache'}",
             f"--LabApp.workspaces_dir={work / 'workspaces'}", "--LabApp.extension_manager=readonly", *extra],
            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/roman-lab/api/health", headers=self.headers).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer on {self.base} within {timeout} s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def browser_env(**extra):
    """The environment of a Playwright script under benchmarks/ (run with cwd ui-tests/)."""
    return {**os.environ, "CHROMIUM": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            "NODE_PATH": str(ROOT / "ui-tests" / "node_modules"), **extra}
