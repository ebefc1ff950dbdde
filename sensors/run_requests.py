"""The runs of the request table (domain/requests.py) as Dagster run requests: the one place they are made.

The table names jobs and dynamic partition sets by name; `REQUEST_JOBS` holds the jobs those names
stand for (the sensors that start them list these), and `run_request` refuses a name it does not know,
so a job renamed on one side only fails here, not as a run that never starts.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from domain.requests import Run
from jobs.exchanges import exchange_job
from jobs.pii import pii_decision_job
from jobs.productions import production_job
from jobs.renditions import html_renditions_job
from jobs.reports import REPORT_JOBS
from jobs.stamps import stamp_job
from nextpoint_assets.partitions import cases_partitions, exchanges_partitions, exports_partitions

#: Every job a request can start, by name.
REQUEST_JOBS: dict[str, dg.JobDefinition | dg.UnresolvedAssetJobDefinition] = {
    job.name: job
    for job in (
        production_job,
        stamp_job,
        exchange_job,
        *REPORT_JOBS.values(),
        html_renditions_job,
        pii_decision_job,
    )
}
#: The dynamic partition sets a request's partition is registered in, by name.
REQUEST_PARTITIONS = {p.name: p for p in (cases_partitions, exports_partitions, exchanges_partitions)}


def run_request(run: Run) -> dg.RunRequest:
    if run.job_name not in REQUEST_JOBS:
        raise KeyError(f"the request table names a job no sensor starts: {run.job_name!r}")
    return dg.RunRequest(
        run_key=run.work_key,
        job_name=run.job_name,
        partition_key=run.partition_key,
        run_config=run.run_config,
        tags=run.tags,
    )


def partition_requests(runs: Iterable[Run]) -> list[dg.AddDynamicPartitionsRequest]:
    """The partitions the runs need registered, one request per partition set."""
    keys: dict[str, set[str]] = {}
    for run in runs:
        if run.partitions is not None and run.partition_key is not None:
            keys.setdefault(run.partitions, set()).add(run.partition_key)
    return [REQUEST_PARTITIONS[name].build_add_request(sorted(k)) for name, k in sorted(keys.items())]
