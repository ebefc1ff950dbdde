"""Structured logging: every line carries the case and job it belongs to.

Context is held in context variables, so it follows the work through helper
functions without being passed around; `log_context` sets it for a block.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

LOGGER_NAME = "nextpoint"
CONTEXT_FIELDS = ("case_id", "export_id", "exchange_id", "document_id", "exhibit_id", "run_id", "job")

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "nextpoint_log_context", default=None
)


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields (case_id, export_id, document_id ...) to every log line in the block."""
    merged = {**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, Any]:
    return dict(_context.get() or {})


class ContextFilter(logging.Filter):
    """Copies the current log context onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _context.get() or {}
        record.np_context = ctx
        for key, value in ctx.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        payload.update(getattr(record, "np_context", {}) or {})
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            payload.update(extra)
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        ctx = getattr(record, "np_context", {}) or {}
        extra = getattr(record, "fields", None) or {}
        pairs = {**ctx, **extra}
        if not pairs:
            return base
        return base + " | " + " ".join(f"{k}={v}" for k, v in pairs.items())


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is emitted (not when the handler was made), so
    redirection and capture made after start-up see the platform's lines."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure_logging(fmt: str = "text", level: str = "INFO") -> logging.Logger:
    """Configure the platform logger once; JSON for production, text for a laptop."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level.upper())
    handler = next((h for h in logger.handlers if getattr(h, "np_handler", False)), None)
    if handler is None:
        handler = _StderrHandler()
        handler.np_handler = True  # type: ignore[attr-defined]
        handler.addFilter(ContextFilter())
        logger.addHandler(handler)
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    return logger


def get_logger(name: str) -> logging.Logger:
    """A child of the platform logger, e.g. get_logger('exports')."""
    logger = logging.getLogger(f"{LOGGER_NAME}.{name}")
    if not any(isinstance(f, ContextFilter) for f in logger.filters):
        logger.addFilter(ContextFilter())
    return logger
