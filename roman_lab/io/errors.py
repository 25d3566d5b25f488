"""The one exception the reader and the store service raise for bad input."""


class RomanFileError(ValueError):
    """A file roman-lab cannot read or convert, with an HTTP-like status and a readable message.

    status: 404 missing file, 413 absurd array shapes, 415 not an ASDF file, 422 ASDF but not
    a usable Roman data model (not Roman, unsupported model type, missing WCS, bad shapes,
    truncated or corrupt blocks), 507 no space left for the store.
    """

    def __init__(self, message, status=422, path=None):
        super().__init__(message)
        self.message = message
        self.status = int(status)
        self.path = None if path is None else str(path)

    def to_json(self):
        return {"error": self.message, "status": self.status}
