"""OCR with tesseract (tesserocr): text, recognised lines or words with their boxes, and the
orientation of a scan. One tesseract API per thread, created on first use and reused.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PIL import Image

from domain.errors import SettingsError

TESSDATA_CANDIDATES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)


def find_tessdata(configured: Path | None = None) -> Path:
    candidates = [str(configured)] if configured else []
    candidates += [os.environ.get("TESSDATA_PREFIX", "")] + list(TESSDATA_CANDIDATES)
    for candidate in candidates:
        if candidate and Path(candidate, "eng.traineddata").is_file():
            return Path(candidate)
    raise SettingsError(
        "Tesseract language data (eng.traineddata) was not found. Install it with "
        "'apt-get install tesseract-ocr-eng tesseract-ocr-osd' or set NP_TESSDATA_PREFIX."
    )


class TesseractOcr:
    """The OCR half of the in-process document engine."""

    def __init__(self, tessdata: Path | None = None, language: str = "eng") -> None:
        self._tessdata = tessdata
        self.language = language
        self._local = threading.local()

    def ocr_words(self, image: Image.Image) -> tuple[str, list[tuple[str, tuple[int, int, int, int]]]]:
        """Recognised text and each line's text and pixel box (for an invisible text layer:
        whole lines, so phrase searches match)."""
        import tesserocr

        api = self._ocr_api()
        api.SetImage(image)
        text = api.GetUTF8Text()
        return text, _recognised(api, tesserocr.RIL.TEXTLINE)

    def ocr_word_boxes(
        self, image: Image.Image, detect_orientation: bool = False
    ) -> list[tuple[str, tuple[int, int, int, int]]]:
        """Recognised words, each with its pixel box (x0, y0, x1, y1) in `image`'s own
        coordinates, also when the scan was turned upright to be read."""
        import tesserocr

        degrees = self._orientation(image) if detect_orientation else 0
        seen = image.rotate(degrees, expand=True) if degrees else image
        api = self._ocr_api()
        api.SetImage(seen)
        api.Recognize()
        return [
            (value, _unrotate(box, degrees, image.width, image.height))
            for value, box in _recognised(api, tesserocr.RIL.WORD)
        ]

    def ocr_lines(
        self, image: Image.Image
    ) -> list[tuple[float, list[tuple[str, tuple[int, int, int, int]]]]]:
        """Recognised lines for layout analysis: each line's size in pixels (tesseract's row height
        from its ascender to its descender line, the font size a reader would see) and its words with
        their pixel boxes, in tesseract's reading order."""
        import tesserocr

        api = self._ocr_api()
        api.SetImage(image)
        api.Recognize()
        lines: list[tuple[float, list[tuple[str, tuple[int, int, int, int]]]]] = []
        iterator = api.GetIterator()
        if iterator is None:
            return lines
        word = tesserocr.RIL.WORD
        for element in tesserocr.iterate_level(iterator, word):
            if element.Empty(word):  # nothing read (a blank or tiny image): RowAttributes would segfault
                continue
            if not lines or element.IsAtBeginningOf(tesserocr.RIL.TEXTLINE):
                row = element.RowAttributes() or {}
                size = float(row.get("row_height", 0) or 0) - float(row.get("descenders", 0) or 0)
                lines.append((size, []))
            value = (element.GetUTF8Text(word) or "").strip()
            box = element.BoundingBox(word)
            if value and box:
                lines[-1][1].append((value, box))
        return [line for line in lines if line[1]]

    def _ocr_api(self):
        api = getattr(self._local, "api", None)
        if api is None:
            import tesserocr

            api = tesserocr.PyTessBaseAPI(
                path=str(find_tessdata(self._tessdata)) + "/",
                lang=self.language,
                psm=tesserocr.PSM.AUTO,
            )
            self._local.api = api
        return api

    def ocr(self, image: Image.Image, detect_orientation: bool = False) -> str:
        api = self._ocr_api()
        if detect_orientation:
            image = self._upright(image)
        api.SetImage(image)
        return api.GetUTF8Text()

    def _upright(self, image: Image.Image) -> Image.Image:
        """Rotate a scan upright using tesseract's orientation detection (needs osd data)."""
        degrees = self._orientation(image)
        return image.rotate(degrees, expand=True) if degrees else image

    def _orientation(self, image: Image.Image) -> int:
        """Degrees (counter-clockwise) that turn a scan upright; 0 without osd data."""
        import tesserocr

        tessdata = find_tessdata(self._tessdata)
        if not (tessdata / "osd.traineddata").is_file():
            return 0
        osd = getattr(self._local, "osd", None)
        if osd is None:
            osd = tesserocr.PyTessBaseAPI(path=str(tessdata) + "/", lang="osd", psm=tesserocr.PSM.OSD_ONLY)
            self._local.osd = osd
        osd.SetImage(image)
        result = osd.DetectOrientationScript()
        return int(result["orient_deg"]) % 360 if result and result.get("orient_deg") else 0


def _unrotate(
    box: tuple[int, int, int, int], degrees: int, width: int, height: int
) -> tuple[int, int, int, int]:
    """A box found in an image turned `degrees` counter-clockwise (PIL rotate, expand) back in
    the coordinates of the original `width` x `height` image."""
    x0, y0, x1, y1 = box
    if degrees == 90:  # (x, y) went to (y, width - x)
        return (width - y1, x0, width - y0, x1)
    if degrees == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    if degrees == 270:  # (x, y) went to (height - y, x)
        return (y0, height - x1, y1, height - x0)
    return box


def _recognised(api, level) -> list[tuple[str, tuple[int, int, int, int]]]:
    """The text and pixel box of every element of `level` (line or word) tesseract recognised."""
    import tesserocr

    found = []
    iterator = api.GetIterator()
    if iterator is not None:
        for element in tesserocr.iterate_level(iterator, level):
            value = (element.GetUTF8Text(level) or "").strip()
            box = element.BoundingBox(level)
            if value and box:
                found.append((value, box))
    return found
