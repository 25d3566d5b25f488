"""Read an lz4-compressed ASDF array block in parallel threads, straight into the array.

asdf compresses a block with lz4 as a run of independent pieces (4 MiB of the array each):
a 4-byte big-endian length, then the piece in python-lz4's block format (its uncompressed size
as 4 bytes little-endian, then the lz4 data), the format numcodecs' LZ4 decodes into a given
buffer. asdf decompresses the pieces one after the other, in one thread, through three copies
(its read, each piece's bytearray, the copy into the array): 60 ms of a full-size L2's
`data`, most of the time to a never-seen file's first pixels. Here each thread reads its run of
pieces one at a time (`preadv` into one 4 MiB buffer) and decompresses each into its place in
the array (numcodecs releases the GIL): ~15 ms on 2 cores, and no copy of the block is held.
Blocks of any other kind are asdf's to read.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import struct
import threading

import numpy as np

LZ4 = b"lz4\x00"
_LENGTH, _SIZE = struct.Struct(">I"), struct.Struct("<I")  # a piece's compressed length, its uncompressed size
THREADS = min(4, os.cpu_count() or 1)
_pool = None
_pool_guard = threading.Lock()


class CorruptBlock(ValueError):
    """The block's bytes do not decompress to the array its header and the tree describe."""


def _threads():
    global _pool
    with _pool_guard:
        if _pool is None:
            _pool = cf.ThreadPoolExecutor(THREADS, thread_name_prefix="roman-lab-lz4")
        return _pool


def pieces(fd, start, used_size):
    """[(offset of the piece's lz4 bytes, their length, uncompressed size)] of an lz4 block whose
    bytes are `used_size` from `start` in the file `fd`."""
    out, at, end = [], start, start + used_size
    while at < end:
        head = os.pread(fd, 8, at)
        if len(head) < 8:
            raise CorruptBlock(f"an lz4 piece header at byte {at} is cut short")
        (length,), (size,) = _LENGTH.unpack_from(head), _SIZE.unpack_from(head, 4)
        if length < 4 or at + 4 + length > end:
            raise CorruptBlock(f"an lz4 piece at byte {at} claims {length} bytes, past the block's end")
        out.append((at + 4, length, size))
        at += 4 + length
    return out


def read_lz4_array(fd, start, used_size, shape, dtype):
    """The C-ordered array of `shape` and `dtype` whose lz4 block is `used_size` bytes from byte
    `start` of the open file `fd`, decompressed by `THREADS` threads (the caller's one of them).
    Raises CorruptBlock."""
    from numcodecs import lz4

    out = np.empty(shape, dtype)
    dest = out.reshape(-1).view(np.uint8)
    found = pieces(fd, start, used_size)
    stops = np.cumsum([size for _, _, size in found], dtype=np.int64)
    total = int(stops[-1]) if found else 0
    if total != dest.size:
        raise CorruptBlock(f"its lz4 pieces hold {total} bytes, the array needs {dest.size}")

    def run(indices):
        """Decompress the pieces `indices`, each read into one buffer this thread reuses."""
        buf = np.empty(max(found[i][1] for i in indices), np.uint8)
        for i in indices:
            offset, length, size = found[i]
            piece = buf[:length]
            if os.preadv(fd, [piece], offset) != length:
                raise CorruptBlock("the file ends inside the block")
            stop = int(stops[i])
            try:
                lz4.decompress(piece, dest[stop - size:stop])
            except RuntimeError as exc:
                raise CorruptBlock(f"an lz4 piece does not decompress ({exc})") from None

    pool = _threads()
    runs = [r for r in np.array_split(np.arange(len(found)), THREADS) if r.size]
    futures = [pool.submit(run, r) for r in runs[1:]]
    try:
        if runs:
            run(runs[0])
    finally:
        for future in futures:
            future.result()
    return out
