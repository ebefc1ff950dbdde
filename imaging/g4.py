"""Single-page CCITT Group 4 TIFF writing through libtiff.

Pillow's TIFF writer reaches the same libtiff but spends three times the encode
time in its row-by-row glue and writes BlackIsZero; productions want
WhiteIsZero G4 (the fax convention review platforms expect) at 300 dpi. This
hands libtiff the packed bitmap as one strip. Pillow's bundled libtiff is used
when the system has none, so no extra package is needed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import threading
from pathlib import Path

import numpy as np

TIFFTAG_IMAGEWIDTH = 256
TIFFTAG_IMAGELENGTH = 257
TIFFTAG_BITSPERSAMPLE = 258
TIFFTAG_COMPRESSION = 259
TIFFTAG_PHOTOMETRIC = 262
TIFFTAG_FILLORDER = 266
TIFFTAG_SAMPLESPERPIXEL = 277
TIFFTAG_ROWSPERSTRIP = 278
TIFFTAG_XRESOLUTION = 282
TIFFTAG_YRESOLUTION = 283
TIFFTAG_PLANARCONFIG = 284
TIFFTAG_T6OPTIONS = 293
TIFFTAG_RESOLUTIONUNIT = 296
COMPRESSION_CCITTFAX4 = 4
PHOTOMETRIC_MINISWHITE = 0
RESUNIT_INCH = 2

_lock = threading.Lock()
_lib = None


def _libtiff():
    global _lib
    with _lock:
        if _lib is None:
            candidates = [ctypes.util.find_library("tiff")]
            import PIL

            candidates += sorted(
                glob.glob(os.path.join(os.path.dirname(PIL.__file__), "..", "pillow.libs", "libtiff*.so*"))
            )
            for candidate in filter(None, candidates):
                try:
                    lib = ctypes.CDLL(candidate)
                except OSError:
                    continue
                lib.TIFFOpen.restype = ctypes.c_void_p
                lib.TIFFOpen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
                lib.TIFFClose.argtypes = [ctypes.c_void_p]
                lib.TIFFWriteEncodedStrip.restype = ctypes.c_ssize_t
                lib.TIFFWriteEncodedStrip.argtypes = [
                    ctypes.c_void_p,
                    ctypes.c_uint32,
                    ctypes.c_void_p,
                    ctypes.c_ssize_t,
                ]
                _lib = lib
                break
            else:
                raise RuntimeError("libtiff was not found (neither the system's nor Pillow's)")
        return _lib


def write_g4(path: Path, black: np.ndarray, dpi: int = 300) -> None:
    """Write a bilevel page (True = black ink) as a WhiteIsZero CCITT G4 TIFF."""
    lib = _libtiff()
    height, width = black.shape
    packed = np.ascontiguousarray(np.packbits(black, axis=1))
    handle = lib.TIFFOpen(str(path).encode(), b"w")
    if not handle:
        raise OSError(f"libtiff could not open {path} for writing")
    try:
        set_field = lib.TIFFSetField
        u32, i = ctypes.c_uint32, ctypes.c_int
        for tag, value in (
            (TIFFTAG_IMAGEWIDTH, u32(width)),
            (TIFFTAG_IMAGELENGTH, u32(height)),
            (TIFFTAG_BITSPERSAMPLE, i(1)),
            (TIFFTAG_SAMPLESPERPIXEL, i(1)),
            (TIFFTAG_COMPRESSION, i(COMPRESSION_CCITTFAX4)),
            (TIFFTAG_PHOTOMETRIC, i(PHOTOMETRIC_MINISWHITE)),
            (TIFFTAG_FILLORDER, i(1)),
            (TIFFTAG_PLANARCONFIG, i(1)),
            (TIFFTAG_ROWSPERSTRIP, u32(height)),
            (TIFFTAG_T6OPTIONS, u32(0)),
            (TIFFTAG_RESOLUTIONUNIT, i(RESUNIT_INCH)),
            (TIFFTAG_XRESOLUTION, ctypes.c_double(dpi)),
            (TIFFTAG_YRESOLUTION, ctypes.c_double(dpi)),
        ):
            if set_field(ctypes.c_void_p(handle), u32(tag), value) != 1:
                raise OSError(f"libtiff refused tag {tag}")
        written = lib.TIFFWriteEncodedStrip(handle, 0, packed.ctypes.data, packed.nbytes)
        if written < 0:
            raise OSError(f"libtiff could not encode {path}")
    finally:
        lib.TIFFClose(handle)
