"""Compact byte encodings of embedding vectors for the per-keyword vector cache (DynamoDB binary).

- ``float16``: 2 bytes per dimension (a 256-dim vector is 512 bytes), relative error about 1e-3.
- ``int8``: 1 byte per dimension plus a 4-byte float32 scale (max |x| / 127), error about 0.4% of the
  largest component; cosine similarities change by well under 0.01 for unit vectors.

Decoded vectors are float32 and re-normalised to unit length when the input was.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Encoding = Literal["float16", "int8"]


def to_bytes(vec: np.ndarray, encoding: Encoding = "float16") -> bytes:
    """Encode a 1-D vector as little-endian bytes in ``encoding``."""
    v = np.asarray(vec, dtype=np.float32).ravel()
    if encoding == "float16":
        return v.astype("<f2").tobytes()
    if encoding == "int8":
        peak = float(np.abs(v).max()) if v.size else 0.0
        scale = peak / 127.0 if peak > 0 else 1.0
        q = np.clip(np.rint(v / scale), -127, 127).astype(np.int8)
        return np.float32(scale).astype("<f4").tobytes() + q.tobytes()
    raise ValueError(f"unknown encoding {encoding!r} (use 'float16' or 'int8')")


def from_bytes(data: bytes, encoding: Encoding = "float16", *, normalize: bool = True) -> np.ndarray:
    """Decode bytes written by :func:`to_bytes` into a float32 vector (unit length if ``normalize``)."""
    if encoding == "float16":
        v = np.frombuffer(data, dtype="<f2").astype(np.float32)
    elif encoding == "int8":
        scale = float(np.frombuffer(data[:4], dtype="<f4")[0])
        v = np.frombuffer(data[4:], dtype=np.int8).astype(np.float32) * scale
    else:
        raise ValueError(f"unknown encoding {encoding!r} (use 'float16' or 'int8')")
    if normalize:
        norm = float(np.linalg.norm(v))
        if norm > 0:
            v = v / norm
    return v
