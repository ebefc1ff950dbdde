"""An accepted request (domain/requests.py) as the run that does its work.

Every run started for a request carries the same tags, so people can find it in
the UI and the run coordinator can limit it (deploy/dagster.yaml):
`np/work` (the work key, also the run key), `np/request` (export, stamp, report,
exchange), `np/case_id`, `np/event_id`, and `np/serial`, which serializes the
runs that must not overlap (one export, one exchange, one case's stamps).

Several stamp or report requests for one case can share one run (`batch_run_request`):
its config lists them (`requests`), its work key is the batch's, and `np/requests`
says how many it carries. Dagster creates a run in ~0.05-0.25 s (bench/README.md
"sqs_intake"): one run per request cannot keep up with thousands of requests a
minute, one run per case and tick can.
"""

from __future__ import annotations

import hashlib

import dagster as dg

from domain.requests import BATCHED_KINDS, Accepted, batch_work_key
from domain.stamping.request import parse_request
from jobs.exchanges import exchange_run_request
from jobs.productions import production_job
from jobs.reports import report_run_request
from jobs.stamps import stamp_job, stamp_run_config
from nextpoint_assets.exchanges.assets import exchanges_partitions
from nextpoint_assets.partitions import cases_partitions
from nextpoint_assets.productions.common import export_partition_key, exports_partitions

WORK_TAG = "np/work"
REQUEST_TAG = "np/request"
CASE_TAG = "np/case_id"
EVENT_TAG = "np/event_id"
SERIAL_TAG = "np/serial"
COUNT_TAG = "np/requests"


def _event_tag(event_id: str) -> str:
    # Event ids are untrusted and unbounded: tags carry them only when short and plain.
    if len(event_id) <= 63 and all(c.isalnum() or c in "-_." for c in event_id):
        return event_id
    return "sha-" + hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:40]


def request_tags(kind: str, case_id: int, work_key: str, serial: str, event_id: str | None) -> dict[str, str]:
    tags = {WORK_TAG: work_key, REQUEST_TAG: kind, CASE_TAG: str(case_id), SERIAL_TAG: serial}
    if event_id:
        tags[EVENT_TAG] = _event_tag(event_id)
    return tags


def export_run_request(
    case_id: int, export_id: int, work_key: str, event_id: str | None = None
) -> dg.RunRequest:
    key = export_partition_key(case_id, export_id)
    return dg.RunRequest(
        run_key=work_key,
        job_name=production_job.name,
        partition_key=key,
        tags=request_tags("export", case_id, work_key, f"export-{key}", event_id),
    )


def run_request_for(
    accepted: Accepted, work_key: str
) -> tuple[dg.RunRequest, dg.AddDynamicPartitionsRequest | None]:
    """The run of one accepted request and the partition it needs registered (if any)."""
    case = accepted.case_id
    if accepted.kind == "pii_decision":
        from domain.pii.review import Decision
        from jobs.pii import pii_decision_job

        decision = Decision.model_validate(accepted.body)
        config = {**decision.model_dump(), "event_id": accepted.event_id}
        return dg.RunRequest(
            run_key=work_key,
            job_name=pii_decision_job.name,
            run_config={"ops": {"record_pii_decision": {"config": config}}},
            tags=request_tags("pii_decision", case, work_key, f"pii-{decision.scan_id}", accepted.event_id),
        ), None
    if accepted.kind == "export":
        request = export_run_request(case, accepted.export_id, work_key, accepted.event_id)
        return request, exports_partitions.build_add_request([request.partition_key])
    if accepted.kind == "stamp":
        request = dg.RunRequest(
            run_key=work_key,
            job_name=stamp_job.name,
            partition_key=str(case),
            run_config=stamp_run_config(parse_request(accepted.body).model_dump(mode="json")),
            tags=request_tags("stamp", case, work_key, f"stamp-{case}", accepted.event_id),
        )
        return request, cases_partitions.build_add_request([str(case)])
    if accepted.kind == "report":
        job_name, partition, config = report_run_request(accepted.body)
        request = dg.RunRequest(
            run_key=work_key,
            job_name=job_name,
            partition_key=partition,
            run_config=config,
            tags=request_tags("report", case, work_key, work_key, accepted.event_id),
        )
        return request, cases_partitions.build_add_request([partition])
    exchange = exchange_run_request(accepted.body)
    request = dg.RunRequest(
        run_key=work_key,
        job_name="exchange_job",
        partition_key=exchange.partition_key,
        run_config=exchange.run_config,
        tags={
            **exchange.tags,
            **request_tags(
                "exchange", case, work_key, f"exchange-{exchange.partition_key}", accepted.event_id
            ),
        },
    )
    return request, exchanges_partitions.build_add_request([exchange.partition_key])


def batch_run_request(kind: str, runs: list[dg.RunRequest], work_keys: list[str]) -> dg.RunRequest:
    """One run for several requests of one kind, job and case (`runs`, each from `run_request_for`).

    The asset gets them in order as `requests`: a stamp request's own config (`request`), or a
    report request's whole config."""
    first = runs[0]
    if kind not in BATCHED_KINDS or any(
        (r.job_name, r.partition_key) != (first.job_name, first.partition_key) for r in runs
    ):
        raise ValueError("a batch holds stamp or report requests of one job and one case")
    (op_name,) = first.run_config["ops"]
    items = [r.run_config["ops"][op_name]["config"] for r in runs]
    if kind == "stamp":
        items = [item["request"] for item in items]
    work_key = batch_work_key(first.job_name, first.partition_key, work_keys)
    case = first.tags[CASE_TAG]
    serial = first.tags[SERIAL_TAG] if kind == "stamp" else work_key
    tags = {**request_tags(kind, int(case), work_key, serial, None), COUNT_TAG: str(len(runs))}
    return dg.RunRequest(
        run_key=work_key,
        job_name=first.job_name,
        partition_key=first.partition_key,
        run_config={"ops": {op_name: {"config": {"requests": items}}}},
        tags=tags,
    )
