"""manifest_upload_sensor: a manifest.zip uploaded under case_{id}/exports/export_{id}/ starts that export.

The cursor remembers, per case, the set of export folders already handled (as
id ranges), not the last key seen: a key that sorts before others but is written
after them (export_9 after export_10, case_2 after case_10) is still found. An
export folder without its manifest yet is looked at again on the next tick.
Manifests already in the store when the sensor first ran are not started.

The upload and an EXPORT_REQUESTED event for the same manifest are one piece of
work (the same work key, from the manifest's version): whichever sensor sees it
first starts the run, the other starts nothing. Cases are visited in turn within
a time budget, so a store with many cases is covered over several ticks. A manifest younger than
SETTLE is left for a later tick, giving the event path the first word.
"""

import json
import re
import time
from datetime import UTC, datetime, timedelta

import dagster as dg

from domain.id_ranges import decode_ids, encode_ids
from domain.requests import export_run, export_work_key
from jobs.productions import production_job
from resources.dagster_resources import DatabaseResource, ObjectStoreResource
from resources.settings import get_settings
from sensors.run_requests import partition_requests, run_request
from sensors.work import work_with_runs, workable_cases

CASE_FOLDER = re.compile(r"^case_([1-9]\d{0,11})/$")
EXPORT_FOLDER = re.compile(r"^case_[1-9]\d{0,11}/exports/export_([1-9]\d{0,11})/$")
#: Uploads this much older than the sensor's first tick still count (clock skew between store and daemon).
FIRST_TICK_GRACE = timedelta(minutes=1)
#: A manifest this young waits for a later tick: the EXPORT_REQUESTED the backend publishes after its upload
#: is normally taken by request_sensor first, so the two sensors (which may run at the same moment in
#: threads) do not both start the same export.
SETTLE = timedelta(seconds=30)


class ManifestCursor:
    def __init__(self, text: str | None, now: datetime) -> None:
        try:
            data = json.loads(text or "{}")
        except ValueError:
            data = {}
        self.since = datetime.fromisoformat(data["since"]) if data.get("since") else now - FIRST_TICK_GRACE
        self.handled = {int(case): decode_ids(ids) for case, ids in data.get("handled", {}).items()}
        self.next_case = int(data.get("next_case", 0))

    def dump(self) -> str:
        handled = {str(case): encode_ids(ids) for case, ids in sorted(self.handled.items()) if ids}
        return json.dumps(
            {"since": self.since.isoformat(), "next_case": self.next_case, "handled": handled},
            separators=(",", ":"),
        )


def scan(context, store, databases, budget_seconds: float, now: datetime | None = None):
    """One tick: (run requests, the partitions they need added, new cursor)."""
    now = now or datetime.now(UTC)
    cursor = ManifestCursor(context.cursor, now)
    cases = sorted(int(m[1]) for m in (CASE_FOLDER.match(f) for f in store.list_folders("")) if m)
    known = workable_cases(databases, cases) if cases else set()
    deadline = time.monotonic() + budget_seconds
    found: list[tuple[int, int, str]] = []  # (case, export, work key)
    order = cases[cursor.next_case :] + cases[: cursor.next_case] if cursor.next_case < len(cases) else cases
    visited = 0
    for case_id in order:
        if time.monotonic() > deadline:
            break
        visited += 1
        if case_id not in known:
            continue  # not (yet) a case of the core database: looked at again when it is
        handled = cursor.handled.setdefault(case_id, set())
        for folder in store.list_folders(f"case_{case_id}/exports/"):
            match = EXPORT_FOLDER.match(folder)
            if not match or int(match[1]) in handled:
                continue
            export_id = int(match[1])
            manifest = store.head(f"{folder}manifest.zip")
            if manifest is None or now - manifest.modified < SETTLE:
                continue  # the upload has not happened yet, or is too fresh: next tick
            handled.add(export_id)
            if manifest.modified + timedelta(seconds=1) < cursor.since:  # S3 times are whole seconds
                continue  # there before this sensor ran: not a new request
            found.append((case_id, export_id, export_work_key(case_id, export_id, manifest.version)))
    cursor.next_case = (cursor.next_case + visited) % len(cases) if cases else 0
    started = work_with_runs(context.instance, {w for _, _, w in found})
    runs = [export_run(c, e, w) for c, e, w in found if w not in started]
    return [run_request(run) for run in runs], partition_requests(runs), cursor.dump()


@dg.sensor(
    minimum_interval_seconds=get_settings().manifest_poll_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    job=production_job,
    description="Starts an export when its manifest.zip is uploaded under case_{id}/exports/export_{id}/ "
    "(once per manifest; an EXPORT_REQUESTED event for the same manifest starts nothing more).",
)
def manifest_upload_sensor(
    context: dg.SensorEvaluationContext, object_store: ObjectStoreResource, databases: DatabaseResource
):
    try:
        requests, adds, cursor = scan(context, object_store.store(), databases.databases(), budget_seconds=30)
    except Exception as exc:  # noqa: BLE001 - a store or database fault skips the tick; the cursor stays
        context.log.warning(f"manifest scan skipped: {type(exc).__name__}: {str(exc)[:300]}")
        return dg.SkipReason(
            f"The object store or the core database could not be read ({type(exc).__name__})."
        )
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=adds,
        cursor=cursor,
        skip_reason=None if requests else "no new manifests",
    )
