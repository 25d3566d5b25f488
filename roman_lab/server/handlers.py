"""HTTP handlers. Every one is authenticated and authorised through jupyter_server."""

import json
import platform

import roman_datamodels
import tornado
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler

from .. import __version__

AUTH_RESOURCE = "roman-lab"


class RomanAPIHandler(APIHandler):
    """Base for roman-lab handlers: one authorisation resource and JSON errors."""

    auth_resource = AUTH_RESOURCE


class HealthHandler(RomanAPIHandler):
    """`GET /roman-lab/api/health`: is the server extension loaded, and with which versions."""

    @tornado.web.authenticated
    @authorized
    def get(self):
        self.finish(
            json.dumps(
                {
                    "status": "ok",
                    "version": __version__,
                    "roman_datamodels": roman_datamodels.__version__,
                    "python": platform.python_version(),
                }
            )
        )
