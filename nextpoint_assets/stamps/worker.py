"""Worker processes that stamp exhibits: one document engine per process, for legacy page images."""

from __future__ import annotations

from imaging.engine import LocalDocumentEngine
from imaging.pageset import ExhibitJob, ExhibitOutcome, stamp_exhibit

_engine: LocalDocumentEngine | None = None


def init() -> None:
    global _engine
    _engine = LocalDocumentEngine()


def _render(path, indices: list[int], dpi: int):
    return _engine.iter_render(path, [(i, False) for i in indices], dpi)


def run(job: ExhibitJob) -> ExhibitOutcome:
    if _engine is None:
        init()
    return stamp_exhibit(job, _render)
