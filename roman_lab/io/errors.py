"""The one exception the reader and the store service raise for bad input, and the limits and
words its messages share."""


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


# Absurd-shape guard (413): no Roman product comes near these.
MAX_SIDE = 1 << 17  # 131072 pixels on one axis
MAX_ARRAY_BYTES = 16 << 30  # 16 GiB for one array


def describe_start(head: bytes) -> str:
    """A short, printable description of the first bytes of a non-ASDF file."""
    if not head:
        return "it is empty"
    kind = ""
    if head.startswith(b"SIMPLE  ="):
        kind = ": a FITS file"
    elif head.startswith(b"\x89HDF"):
        kind = ": an HDF5 file"
    elif head.startswith(b"PK\x03\x04"):
        kind = ": a zip archive"
    elif head.startswith(b"\x93NUMPY"):
        kind = ": a NumPy .npy file"
    elif head[:1] in (b"{", b"["):
        kind = ": it looks like JSON"
    text = head[:16]
    return f"it starts with {text!r}{kind}"


def short_reason(exc):
    """The first line of an exception's text (at most 200 characters), for a one-line message."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
