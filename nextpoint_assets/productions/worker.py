"""Worker processes for producing documents: one document engine (and OCR engine) per process."""

from __future__ import annotations

import multiprocessing
import os

from imaging.doc_job import DocJob, DocOutcome
from imaging.engine import LocalDocumentEngine
from imaging.page_images import overlap_encodes
from imaging.render import produce_document_safely

_engine: LocalDocumentEngine | None = None


def init(tessdata: str | None, language: str) -> None:
    """The engine of a process that produces documents one at a time by itself (the volume step's
    one-process path). Where this process has the machine to itself and more than one core (the
    run's own process: in-process executor, or the step's own container), the G4 encode of a page
    overlaps the render of the next on a second thread; a step process of the multiprocess executor
    shares the cores with the other volume steps and encodes in turn."""
    _init(tessdata, language)
    alone = multiprocessing.parent_process() is None
    overlap_encodes(alone and cores() > 1)


def cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def init_pool_worker(tessdata: str | None, language: str) -> None:
    """The engine of a pool worker: one worker per core, so pages are encoded in turn."""
    _init(tessdata, language)
    overlap_encodes(False)


def _init(tessdata: str | None, language: str) -> None:
    global _engine
    # One thread per process: parallelism comes from processes, not from tesseract's OpenMP.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    from pathlib import Path

    _engine = LocalDocumentEngine(Path(tessdata) if tessdata else None, language)


def run(job: DocJob) -> DocOutcome:
    if _engine is None:
        init_pool_worker(None, "eng")
    return produce_document_safely(job, _engine)
