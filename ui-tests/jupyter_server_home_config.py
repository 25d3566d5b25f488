"""JupyterLab for tests/home.spec.ts, as a user runs it (started by home_server.sh, in ~/project).

Galata's test settings without its root_dir: the root is the working directory, as with
`cd ~/project && jupyter lab`. Served under a JupyterHub-style base URL; the stores go to the
user's default cache (no RomanLab.cache_dir).
"""

import os

from jupyterlab.galata import configure_jupyter_server

os.environ["JUPYTERLAB_GALATA_ROOT_DIR"] = os.getcwd()  # no stray galata-test-* folder; dropped below
configure_jupyter_server(c)  # noqa: F821 (c is the config object jupyter passes in)
c.ServerApp.pop("root_dir", None)  # noqa: F821 (the working directory is the root, as for a user)
del os.environ["JUPYTERLAB_GALATA_ROOT_DIR"]
c.ServerApp.ip = "127.0.0.1"  # noqa: F821
c.ServerApp.port = int(os.environ.get("ROMAN_LAB_UI_HOME_PORT", "8766"))  # noqa: F821
c.ServerApp.base_url = "/user/astro/"  # noqa: F821 (as JupyterHub serves a user)
c.ServerApp.allow_root = True  # noqa: F821 (CI runs as root)
c.LabApp.extension_manager = "readonly"  # noqa: F821 (no PyPI queries from the tests)
