"""Perceptual hashes of a picture, as signed 64-bit ints that fit an SQLite INTEGER column.

Pure: takes pixels, returns numbers. Two pictures look alike when their hashes are a few bits apart
(`hamming`), however they were resized, re-encoded or stored.
"""

from __future__ import annotations

import imagehash
import numpy as np
from PIL import Image

BITS = 64
_MASK = (1 << BITS) - 1
_SIGN = 1 << (BITS - 1)


def to_signed64(value: int) -> int:
    """An unsigned 64-bit hash as the signed int SQLite stores (same bits, two's complement)."""
    if not 0 <= value <= _MASK:
        raise ValueError(f"{value} does not fit in 64 unsigned bits")
    return value - (1 << BITS) if value & _SIGN else value


def to_unsigned64(value: int) -> int:
    """The inverse of `to_signed64`: the hash's bits read back as a non-negative int."""
    if not -_SIGN <= value < _SIGN:
        raise ValueError(f"{value} does not fit in 64 signed bits")
    return value & _MASK


def _as_int(bits: imagehash.ImageHash) -> int:
    # Row-major, first bit most significant: the same number as int(str(hash), 16).
    return int.from_bytes(np.packbits(bits.hash.flatten()).tobytes(), "big")


def image_hashes(image: Image.Image) -> dict[str, int]:
    """pHash (DCT: survives resizing, re-encoding, small colour changes) and dHash (gradients: cheap,
    a second opinion that catches pHash's rare collisions on flat pictures)."""
    return {
        "phash": to_signed64(_as_int(imagehash.phash(image, hash_size=8))),
        "dhash": to_signed64(_as_int(imagehash.dhash(image, hash_size=8))),
    }


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two hashes, signed or unsigned."""
    # Python ints are two's complement of unbounded width, so the low 64 bits of a ^ b are the same
    # whether either side is stored signed or unsigned.
    return ((a ^ b) & _MASK).bit_count()
