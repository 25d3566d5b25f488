"""`POST /roman-lab/api/triage`: `roman_lab.triage` over HTTP, for the lab's "Triage ramps".

The lab sends the exposures of its stack a few at a time (its progress bar moves between
requests, and it can stop between them); each answer has one row per exposure, in the order
sent, with root-relative paths (`api.triage`).
"""

import tornado
from jupyter_server.auth.decorator import authorized

from . import api
from .handlers import RomanAPIHandler


class TriageHandler(RomanAPIHandler):
    """One row per exposure of the stack sent (`api.triage`)."""

    @tornado.web.authenticated
    @authorized
    async def post(self):
        await self.answer(api.triage, self.json_body(api.TRIAGE_USAGE), separators=(",", ":"))
