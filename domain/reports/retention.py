"""Which report files housekeeping may delete (pure: listings in, keys out; no I/O).

A report folder (`case_{id}/reports/{type}/`, `accounts/account_{id}/reports/{type}/{month}/`) holds one
file per materialization under `runs/` (named `{UTC time}-{run id}.{fmt}`, so names sort in time order),
one file per request under `requests/`, and `latest.json`, the pointer to the latest materialization.

- `runs/`: the newest `keep_last` are kept; older ones go.
- `requests/`: the newest `keep_last` (by modification time: their names are hashes) are kept, and so is
  every file whose emailed link may still work (younger than the link lifetime); older ones go.
- The file `latest.json` names is never deleted; neither is `latest.json`, nor anything else in the
  folder (a file this code did not name is not its to delete).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from domain.housekeeping import Listed
from domain.reports.delivery import LATEST

_RUN_FILE = re.compile(r"^\d{8}T\d{12}Z-[A-Za-z0-9_-]+\.(csv|xlsx)$")
_REQUEST_FILE = re.compile(r"^[A-Za-z0-9_-]+\.(csv|xlsx)$")


def pointed_key(pointer: bytes | None) -> str | None:
    """The key a `latest.json` names (None: no pointer, or one that cannot be read)."""
    if not pointer:
        return None
    try:
        key = json.loads(pointer).get("key")
    except (ValueError, AttributeError):
        return None
    return key if isinstance(key, str) and key else None


def _files(folder: str, sub: str, listed: list[Listed], pattern: re.Pattern) -> list[Listed]:
    prefix = f"{folder}{sub}/"
    return [i for i in listed if i.key.startswith(prefix) and pattern.match(i.key[len(prefix) :])]


def stale_report_files(
    folder: str,
    listed: Iterable[Listed],
    latest_key: str | None,
    keep_last: int,
    now: datetime,
    link_lifetime: timedelta,
) -> list[Listed]:
    """The files of one report folder (`folder` ends with '/') that may be deleted, oldest first."""
    if keep_last < 1:
        raise ValueError("keep_last must be at least 1: the newest report is always kept")
    if not folder.endswith("/"):
        raise ValueError("a report folder ends with '/'")
    items = list(listed)
    runs = sorted(_files(folder, "runs", items, _RUN_FILE), key=lambda i: i.key, reverse=True)
    requests = sorted(
        _files(folder, "requests", items, _REQUEST_FILE), key=lambda i: (i.modified, i.key), reverse=True
    )
    doomed = [i for i in runs[keep_last:] if i.key != latest_key]
    doomed += [i for i in requests[keep_last:] if i.key != latest_key and now - i.modified >= link_lifetime]
    return sorted(doomed, key=lambda i: (i.modified, i.key))


def latest_key_of(folder: str) -> str:
    """The pointer's key in a report folder."""
    return f"{folder}{LATEST}"
