"""JupyterLab for the browser tests: Galata's test settings, rooted at the small demo field."""

import os
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

os.environ.setdefault("JUPYTERLAB_GALATA_ROOT_DIR", str(Path(__file__).parent / ".demo"))
configure_jupyter_server(c)  # noqa: F821 (c is the config object jupyter passes in)
c.ServerApp.ip = "127.0.0.1"  # noqa: F821
c.ServerApp.port = int(os.environ.get("ROMAN_LAB_UI_PORT", "8765"))  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821 (CI runs as root)
c.LabApp.extension_manager = "readonly"  # noqa: F821 (no PyPI queries from the tests)
c.RomanLab.cache_dir = tempfile.mkdtemp(prefix="roman-lab-ui-stores-")  # noqa: F821 (every run converts afresh)
