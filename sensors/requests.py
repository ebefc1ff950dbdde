"""request_sensor: EXPORT/STAMP/REPORT/EXCHANGE_REQUESTED events from the queue become runs.

One tick:
1. deletes the messages of the previous tick whose runs Dagster has now recorded
   (a message is deleted only once its run exists: at-least-once in);
2. takes up to `tick_messages` messages, or what `tick_seconds` allows, or fewer when the daemon
   took long to create the last tick's runs (`tick_limit`);
3. reads each (domain/requests.py, the request table): a bad one is announced as EVENT_REJECTED
   with its reason and deleted, so it never blocks the queue; the platform's own
   outcome events are dropped;
4. checks every case exists, and that an export's manifest is there;
5. asks for one run per piece of work: the run key is the work key (event id,
   idempotency key, or manifest version), and work that already has a run, from
   either sensor, is not started again (exactly-once work). Stamp and report
   requests for the same case and job in one tick share a run (up to `batch_max`):
   the daemon creates a run in 0.05-0.25 s, and one per request could not keep up.

A queue or database that cannot be reached skips the tick: the messages come
back and nothing is lost. A message that keeps coming back without its run ever
being recorded is rejected after `max_receives` deliveries.

One message never stops the tick: a message whose handling raises is logged by its message id and
left to its own redelivery (rejected on its `max_receives`-th delivery); a refusal that cannot be
published leaves that one message for redelivery; the others go on (docs/events.md, "Faults").
"""

import json
import time
import traceback

import dagster as dg

from domain.batches import batched
from domain.errors import PermanentError, PlatformError, RetryableError
from domain.log import get_logger
from domain.rejections import Rejected, message_digest, rejection_event_fields
from domain.requests import (
    BATCHED_KINDS,
    Accepted,
    Ignored,
    Run,
    batch_run,
    export_work_key,
    read_message,
    run_of,
)
from resources.dagster_resources import (
    DatabaseResource,
    EventBusResource,
    ObjectStoreResource,
    RequestQueueResource,
)
from resources.event_bus import make_event
from resources.request_queue import QueueMessage
from resources.settings import get_settings
from sensors.run_requests import REQUEST_JOBS, partition_requests, run_request
from sensors.work import record_batches, work_with_runs, workable_cases

log = get_logger("sensors.requests")


def _load_cursor(cursor: str | None) -> tuple[list[tuple[str, str]], float]:
    """(handles waiting for their runs with their work keys, when the last tick ended)."""
    try:
        data = json.loads(cursor or "{}")
        return [(h, k) for h, k in data.get("pending", [])], float(data.get("at", 0))
    except (ValueError, TypeError, AttributeError):
        return [], 0.0  # a lost cursor costs a redelivery, never a duplicate run


def _dump_cursor(pending: list[tuple[str, str]]) -> str:
    return json.dumps({"pending": pending, "at": round(time.time(), 3)}, separators=(",", ":"))


def tick_limit(
    tick_messages: int, visibility_seconds: int, last_at: float, last_taken: int, now: float | None = None
) -> int:
    """How many messages this tick may take. The daemon creates the runs of a tick after it (0.05-0.25 s
    a run on 2 cores, bench/README.md "sqs_intake"), and the next tick starts only then: when the last
    tick's `last_taken` messages took long to become runs, take no more than half a visibility timeout's
    worth, so messages do not come back while their runs are still being created (each would be
    received and checked again)."""
    now = time.time() if now is None else now
    gap = now - last_at
    quiet = 2 * max(get_settings().request_poll_seconds, 5)  # the daemon loops every 5 s at the least
    if last_taken <= 0 or last_at <= 0 or gap <= quiet or gap > 4 * visibility_seconds:
        return tick_messages  # the daemon kept up (or the sensor was stopped a while): no measure
    per_message = gap / last_taken
    return max(10, min(tick_messages, int(visibility_seconds / 2 / per_message)))


class Tick:
    """One evaluation of the sensor; `outcome` counts what happened to every message."""

    def __init__(self, context, queue_resource, databases, object_store, event_bus) -> None:
        self.context = context
        self.settings = queue_resource
        self.queue = queue_resource.queue()
        self.databases = databases
        self.object_store = object_store
        self.bus = event_bus.bus()
        self.outcome = {
            "received": 0,
            "requested": 0,
            "already_done": 0,
            "duplicates": 0,
            "rejected": 0,
            "ignored": 0,
            "confirmed": 0,
            "batched": 0,
            "left": 0,
        }
        self.delete: list[str] = []
        self.refused: set[str] = (
            set()
        )  # digests announced this tick: a copy in the same tick is not announced twice

    def confirm(self, pending: list[tuple[str, str]]) -> None:
        """Delete the messages whose runs now exist; the rest come back after their visibility timeout."""
        recorded = work_with_runs(self.context.instance, {k for _, k in pending})
        done = [h for h, k in pending if k in recorded]
        self.queue.delete(done)
        self.outcome["confirmed"] = len(done)

    def receive(self, limit: int) -> list[QueueMessage]:
        deadline = time.monotonic() + self.settings.tick_seconds / 2
        messages: list[QueueMessage] = []
        while len(messages) < limit and time.monotonic() < deadline:
            batch = self.queue.receive(min(10, limit - len(messages)), wait_seconds=1)
            if not batch:
                break
            messages += batch
        self.outcome["received"] = len(messages)
        return messages

    def reject(self, message: QueueMessage, rejected: Rejected) -> None:
        """Announce EVENT_REJECTED and delete the message. Never raises: a refusal that cannot be published
        (bus down, refused) leaves this one message for its own redelivery, and the tick goes on."""
        if rejected.digest and rejected.digest in self.refused:  # the same bytes twice in one tick
            self.delete.append(message.handle)
            self.outcome["duplicates"] += 1
            return
        try:
            self.bus.publish(
                make_event("EVENT_REJECTED", rejected.case_id or 0, **rejection_event_fields(rejected))
            )
        except Exception as exc:  # noqa: BLE001 - any fault of one publish is this message's alone
            reason = str(exc) if isinstance(exc, PlatformError) else f"{type(exc).__name__}: {str(exc)[:300]}"
            log.warning(
                f"EVENT_REJECTED could not be published; message {message.message_id} comes back on its "
                f"own: {reason}",
                extra={"fields": {"message_id": message.message_id}},
            )
            self.outcome["left"] += 1
            return
        log.warning(
            f"request rejected: {rejected.reason[:500]}",
            extra={
                "fields": {
                    "case_id": rejected.case_id,
                    "event_id": (rejected.event_id or "")[:200],
                    "message_id": message.message_id,
                }
            },
        )
        if rejected.digest:
            self.refused.add(rejected.digest)
        self.delete.append(message.handle)
        self.outcome["rejected"] += 1

    def failed(self, message: QueueMessage, exc: Exception, request: Accepted | None = None) -> None:
        """Handling one message raised something nobody expected (a bug, or a fault of this message alone).
        It is logged by its message id and left to its own redelivery; on its `max_receives`-th delivery it
        is rejected instead, so it is not retried for ever. The rest of the tick goes on."""
        log.error(
            f"message {message.message_id} (delivery {message.receive_count}) could not be handled: "
            f"{type(exc).__name__}: {str(exc)[:300]}\n{traceback.format_exc(limit=8)}",
            extra={"fields": {"message_id": message.message_id}},
        )
        if message.receive_count < self.settings.max_receives:
            self.outcome["left"] += 1
            return
        reason = (
            f"The message could not be handled after {message.receive_count} deliveries: an internal error "
            "(the platform team has the details)."
        )
        if request is not None:
            self.reject(message, _refused(message, request, reason))
        else:
            self.reject(message, Rejected(reason, message.body, digest=message_digest(message.body)))

    def read(self, messages: list[QueueMessage]) -> list[tuple[QueueMessage, Accepted]]:
        accepted = []
        for message in messages:
            try:
                result = read_message(message.body)
            except Exception as exc:  # noqa: BLE001 - read_message returns Rejected for bad input; this is a bug
                self.failed(message, exc)
                continue
            if isinstance(result, Rejected):
                self.reject(message, result)
            elif isinstance(result, Ignored):
                self.delete.append(message.handle)
                self.outcome["ignored"] += 1
            else:
                accepted.append((message, result))
        return accepted

    def check(
        self, accepted: list[tuple[QueueMessage, Accepted]]
    ) -> list[tuple[QueueMessage, Accepted, str]]:
        """Every case must exist; an export's manifest must be there. Returns (message, request, work key)."""
        cases = workable_cases(self.databases.databases(), {c for _, a in accepted for c in a.case_ids})
        store = self.object_store.store()
        checked = []
        for message, request in accepted:
            missing = [c for c in request.case_ids if c not in cases]
            if missing:
                named = ", ".join(str(c) for c in missing)
                self.reject(
                    message, _refused(message, request, f"Case {named} does not exist or was deleted.")
                )
                continue
            work_key = request.work_key
            if request.kind == "export":
                try:
                    manifest = store.head(request.request.manifest_key)
                except RetryableError:
                    raise  # the store cannot be reached: the tick is skipped, every message comes back
                except PermanentError as exc:
                    self.reject(message, _refused(message, request, exc.user_message))
                    continue
                except Exception as exc:  # noqa: BLE001 - this message's fault alone
                    self.failed(message, exc, request)
                    continue
                if manifest is None:
                    self.reject(
                        message,
                        _refused(
                            message,
                            request,
                            f"The manifest {request.request.manifest_key} is not in the object store.",
                        ),
                    )
                    continue
                work_key = export_work_key(request.case_id, request.export_id, manifest.version)
            checked.append((message, request, work_key))
        return checked

    def plan(
        self, checked: list[tuple[QueueMessage, Accepted, str]]
    ) -> tuple[list, list, list[tuple[str, str]]]:
        """Run requests for work without a run; the handles to delete once those runs are recorded."""
        existing = work_with_runs(self.context.instance, {w for _, _, w in checked})
        runs: dict[str, Run] = {}
        pending: list[tuple[str, str]] = []
        for message, request, work_key in checked:
            if work_key in existing:
                self.delete.append(message.handle)
                self.outcome["already_done"] += 1
                continue
            if message.receive_count > self.settings.max_receives:
                self.reject(
                    message,
                    _refused(
                        message,
                        request,
                        f"The work could not be started after "
                        f"{message.receive_count - 1} deliveries; the platform team has the details.",
                    ),
                )
                continue
            pending.append((message.handle, work_key))
            if work_key in runs:
                self.outcome["duplicates"] += 1
                continue
            try:
                run = run_of(request, work_key)
            except PlatformError as exc:
                pending.pop()
                self.reject(message, _refused(message, request, exc.user_message))
                continue
            except Exception as exc:  # noqa: BLE001 - this message's fault alone: the others go on
                pending.pop()
                self.failed(message, exc, request)
                continue
            runs[work_key] = run
        self.outcome["requested"] = len(runs)
        adds = partition_requests(runs.values())
        return [run_request(run) for run in self.batch(runs)], adds, pending

    def batch(self, runs: dict[str, Run]) -> list[Run]:
        """Stamp and report requests for one job and case share a run, up to `batch_max` each (in the
        order they came); which batch holds each request is recorded before the runs are asked for."""
        groups: dict[tuple[str, str | None], list[str]] = {}
        out: list[Run] = []
        for work_key, run in runs.items():
            if run.kind in BATCHED_KINDS and self.settings.batch_max > 1:
                groups.setdefault((run.job_name, run.partition_key), []).append(work_key)
            else:
                out.append(run)
        batch_of: dict[str, str] = {}
        for members in groups.values():
            for chunk in map(list, batched(members, self.settings.batch_max)):
                if len(chunk) == 1:
                    out.append(runs[chunk[0]])
                    continue
                batch = batch_run([runs[w] for w in chunk])
                batch_of.update(dict.fromkeys(chunk, batch.work_key))
                out.append(batch)
        if batch_of:
            record_batches(self.context.instance, batch_of)
            self.outcome["batched"] = len(batch_of)
        return out


def _refused(message: QueueMessage, request: Accepted, reason: str) -> Rejected:
    return Rejected(
        reason,
        request.body,
        request.event_type,
        request.event_id,
        request.case_id,
        message_digest(message.body),
    )


def evaluate(context, request_queue, databases, object_store, event_bus) -> dg.SensorResult | dg.SkipReason:
    """The tick, outside the decorator so tests and the benchmark can call it with their own resources."""
    started = time.monotonic()
    pending, last_at = _load_cursor(context.cursor)
    limit = tick_limit(request_queue.tick_messages, request_queue.visibility_seconds, last_at, len(pending))
    tick = Tick(context, request_queue, databases, object_store, event_bus)
    messages: list[QueueMessage] = []
    try:
        if pending:
            tick.confirm(pending)
        messages = tick.receive(limit)
        accepted = tick.read(messages)
        checked = tick.check(accepted) if accepted else []
        runs, adds, new_pending = tick.plan(checked)
        tick.queue.delete(tick.delete)
    except Exception as exc:  # noqa: BLE001 - any fault skips the tick; what it received goes back
        _give_back(tick, messages)
        reason = str(exc) if isinstance(exc, PlatformError) else f"{type(exc).__name__}: {str(exc)[:300]}"
        context.log.warning(f"request intake skipped this tick: {reason}")
        # The old cursor stays (SkipReason keeps it): last tick's messages are confirmed next time.
        return dg.SkipReason(
            f"The request queue or a database could not be reached; retrying next tick ({reason})."
        )
    summary = ", ".join(f"{k} {v}" for k, v in tick.outcome.items() if v)
    if limit < request_queue.tick_messages and tick.outcome["received"] >= limit:
        summary += (
            f" (limited to {limit}: the daemon took {time.time() - last_at:.0f}s for the runs of the last "
            f"{len(pending)} messages)"
        )
    if tick.outcome["received"] or tick.outcome["confirmed"]:
        # The evaluation's own time: the daemon creates the runs after it (bench/intake.py reads this line).
        message = f"request intake: {summary} in {time.monotonic() - started:.1f}s"
        context.log.info(message)
        log.info(message)
    return dg.SensorResult(
        run_requests=runs,
        dynamic_partitions_requests=adds,
        cursor=_dump_cursor(new_pending),
        skip_reason=None if runs else f"no new work ({summary or 'queue empty'})",
    )


def _give_back(tick: Tick, messages: list[QueueMessage]) -> None:
    """Finish what was decided (rejections announced), return the rest to the queue at once."""
    try:
        tick.queue.delete(tick.delete)
        decided = set(tick.delete)
        tick.queue.release([m.handle for m in messages if m.handle not in decided])
    except PlatformError:
        pass  # unreachable queue: they come back after their visibility timeout


@dg.sensor(
    minimum_interval_seconds=get_settings().request_poll_seconds,
    default_status=dg.DefaultSensorStatus.RUNNING,
    jobs=list(REQUEST_JOBS.values()),
    description="Starts a run for every EXPORT/STAMP/REPORT/EXCHANGE_REQUESTED and PII_DECISION_SUBMITTED "
    "event on the request queue; rejects bad ones with EVENT_REJECTED. At-least-once in, one run per "
    "piece of work.",
)
def request_sensor(
    context: dg.SensorEvaluationContext,
    request_queue: RequestQueueResource,
    databases: DatabaseResource,
    object_store: ObjectStoreResource,
    event_bus: EventBusResource,
):
    return evaluate(context, request_queue, databases, object_store, event_bus)
