"""The Jupyter server extension: REST handlers under `/roman-lab/`."""

from jupyter_server.utils import url_path_join

from .handlers import HealthHandler

NAMESPACE = "roman-lab"


def load(server_app):
    """Register the handlers on the running server's web app."""
    web_app = server_app.web_app
    base = url_path_join(web_app.settings["base_url"], NAMESPACE)
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "api", "health"), HealthHandler),
        ],
    )
    server_app.log.info("roman-lab: server extension loaded under %s", base)
