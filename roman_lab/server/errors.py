"""Errors the handlers answer with: a status and a message a person understands, as JSON."""

from tornado.web import HTTPError


class RomanHTTPError(HTTPError):
    """An HTTP error whose message reaches the user verbatim (notifications, Python exceptions)."""

    def __init__(self, status, message):
        super().__init__(status, message.replace("%", "%%"))
        self.message = message
