"""Housekeeping of report files: the newest N per case and type (per account and month), never the one
`latest.json` names, never a request file whose emailed link may still work.

The rules are domain/reports/retention.py's; this lists the store, asks them and deletes through the
housekeeping Sweeper (nextpoint_assets/housekeeping.py), run by jobs/housekeeping.py
(`housekeeping_report_files_job`).
"""

import re
from collections.abc import Iterator
from datetime import timedelta

from domain.errors import ObjectNotFound
from domain.reports.retention import latest_key_of, pointed_key, stale_report_files
from nextpoint_assets.housekeeping import Sweeper, report

_CASE_FOLDER = re.compile(r"^case_[1-9]\d*/$")
_ACCOUNT_FOLDER = re.compile(r"^accounts/account_[1-9]\d*/$")


def report_folders(store) -> Iterator[str]:
    """Every report folder: `case_{id}/reports/{type}/`, `accounts/account_{id}/reports/{type}/{month}/`."""
    for case in store.list_folders(""):
        if _CASE_FOLDER.match(case):
            yield from store.list_folders(f"{case}reports/")
    for account in store.list_folders("accounts/"):
        if _ACCOUNT_FOLDER.match(account):
            for report_type in store.list_folders(f"{account}reports/"):
                yield from store.list_folders(report_type)


def _pointer(store, folder: str) -> str | None:
    """The key the folder's `latest.json` names; None without one, "" when it cannot be read."""
    try:
        data = store.get_bytes(latest_key_of(folder))
    except ObjectNotFound:
        return None
    return pointed_key(data) or ""


def sweep_report_files(context, sweep: Sweeper, keep_last: int, link_lifetime: timedelta) -> dict:
    """Report files past the newest `keep_last` per folder; never the one `latest.json` names, nor a request
    file whose emailed link may still work (domain/reports/retention.py)."""
    category = "report_file"
    for folder in report_folders(sweep.store):
        if sweep.guard.scope().holds_prefix(folder):
            sweep.tally.skip(category, "live")
            continue
        latest = _pointer(sweep.store, folder)
        if latest == "":
            sweep.tally.skip(category, "unreadable_pointer")
            continue
        listed = list(sweep.store.list_objects(folder))
        sweep.delete(
            category, stale_report_files(folder, listed, latest, keep_last, sweep.now, link_lifetime)
        )
    return report(
        context,
        sweep.tally,
        keep_last=keep_last,
        link_lifetime_hours=round(link_lifetime.total_seconds() / 3600, 1),
        dry_run=sweep.dry_run,
    )
