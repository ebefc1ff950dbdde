"""Worker processes for producing documents: one document engine (and OCR engine) per process."""

from __future__ import annotations

import os

from imaging.doc_job import DocJob, DocOutcome
from imaging.engine import LocalDocumentEngine
from imaging.render import produce_document_safely

_engine: LocalDocumentEngine | None = None


def init(tessdata: str | None, language: str) -> None:
    global _engine
    # One thread per process: parallelism comes from processes, not from tesseract's OpenMP.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    from pathlib import Path

    _engine = LocalDocumentEngine(Path(tessdata) if tessdata else None, language)


def run(job: DocJob) -> DocOutcome:
    if _engine is None:
        init(None, "eng")
    return produce_document_safely(job, _engine)
