"""One asset per report type of events.md, each partitioned by case.

An analyst materializes `review_log_report` (or any other) for one case in the
UI, or backfills many: the single-run backfill policy makes a 1,000-case
backfill one run, and a case that fails is reported without losing the others.
A REPORT_REQUESTED event runs the same asset with the request as config
(domain/reports/request.py: report_run_config); several requests for one case arrive as
`requests` (the request sensor batches them) and each is made, delivered and
announced on its own. The queries live in domain/reports/.
"""

import tempfile
from pathlib import Path

import dagster as dg
from sqlalchemy import select

from domain.errors import PermanentError, PlatformError, RetryableError
from domain.log import get_logger, log_context
from domain.reports.catalog import REPORTS
from domain.reports.delivery import report_key
from domain.reports.request import (
    RUN_FIELDS,
    Delivery,
    ReportParameters,
    ReportRequest,
    check_format,
    parse_parameters,
    report_asset_name,
    request_name,
)
from domain.reports.spec import ReportSpec
from domain.reports.sql import case_row
from domain.schema import npcases
from nextpoint_assets.code_references import code_references
from nextpoint_assets.config_models import config_class, config_fields
from nextpoint_assets.errors import RETRY_POLICY, user_message
from nextpoint_assets.partitions import case_id_of, cases_partitions
from nextpoint_assets.reports.runner import classify, make_context, report_failed, run_report, sinks_from
from resources.dagster_resources import (
    DatabaseResource,
    EventBusResource,
    MailerResource,
    ObjectStoreResource,
    ReportSettingsResource,
)

log = get_logger("reports")


#: What to report on and how to deliver it, as run config: the domain's delivery and parameter fields
#: side by side (flat, as the UI and schedules fill them), and the request's event id and user id.
ReportRequestConfig = config_class(
    "ReportRequestConfig",
    "What to report on and how to deliver it. Leave a field empty for the default.",
    {
        **config_fields(Delivery),
        **config_fields(ReportParameters),
        # Schedules and the UI make reports no event asked for: no event id.
        **config_fields(ReportRequest, only=RUN_FIELDS, optional=("event_id",)),
    },
)


class ReportConfig(ReportRequestConfig):
    active_only: bool = False  # skip cases the core database does not list as active (schedules)
    requests: list[
        ReportRequestConfig
    ] = []  # several requests for one case, each made and delivered on its own


def parameters(report_type: str, config: ReportRequestConfig) -> ReportParameters:
    """The request's parameters, checked for its report type (PermanentError names every problem)."""
    return parse_parameters(
        report_type, {name: getattr(config, name) for name in ReportParameters.model_fields}
    )


def _request_name(event_id: str | None) -> str | None:
    return request_name(event_id) if event_id else None


def _preview_markdown(header: list[str], rows: list[list]) -> str:
    def esc(v) -> str:
        return str(v).replace("|", "\\|").replace("\r", " ").replace("\n", " ")[:80]

    head = "| " + " | ".join(esc(h) for h in header) + " |\n|" + "---|" * len(header) + "\n"
    return head + "".join("| " + " | ".join(esc(v) for v in row) + " |\n" for row in rows)


def _outcome_event(
    spec: ReportSpec, case_id: int, config: ReportRequestConfig, run_id: str, status: str
) -> dict:
    name = _request_name(config.event_id) or f"{run_id}-{spec.report_type}"
    return {
        "case_id": case_id,
        "event_id": f"report_{status}-{case_id}-{name}",
        "request_event_id": config.event_id,
    }


def _is_active(dbs, case_id: int) -> bool:
    with dbs.core_reader().connect() as core:
        row = core.execute(select(npcases.c.status).where(npcases.c.id == case_id)).first()
    return row is not None and row.status == "active"


def _scope(dbs, case_id: int) -> str:
    try:
        with dbs.core_reader().connect() as core:
            row = case_row(core, case_id)
    except PlatformError:
        row = None
    return f"case {case_id} ({row.name})" if row is not None else f"case {case_id}"


def materialize_case_report(context, spec: ReportSpec, config: ReportRequestConfig, case_id: int, dbs, sinks):
    """One case's report: returns the AssetMaterialization, raises a typed error."""
    fmt = check_format(config.format)
    params = parameters(spec.report_type, config)
    if not dbs.case_exists(case_id):
        raise PermanentError(
            f"The database {dbs.case_db_name(case_id)} does not exist: case {case_id} is not a known case."
        )
    relative = report_key(spec.report_type, fmt, _request_name(config.event_id))
    full_key = f"case_{case_id}/{relative}"
    with tempfile.TemporaryDirectory(prefix="np-report-ctx-") as tmp:
        ctx = make_context(case_id, params, dbs, sinks.store, Path(tmp))
        try:
            outcome, preview, header = run_report(
                spec,
                ctx,
                fmt,
                full_key,
                _scope(dbs, case_id),
                sinks,
                list(config.email),
                _outcome_event(spec, case_id, config, context.run_id, "completed"),
            )
        except Exception as exc:
            raise classify(exc) from exc
    log.info(f"{spec.report_type} report written: {outcome.rows} rows")
    summary = {k: v for k, v in ctx.summary.items() if k not in ("email_body", "data_rows")}
    return dg.AssetMaterialization(
        asset_key=context.asset_key,
        partition=str(case_id),
        metadata={
            "case_id": case_id,
            "report_type": spec.report_type,
            "format": fmt,
            "row_count": outcome.rows,
            "bytes": outcome.size,
            "object_key": full_key,
            "link": dg.MetadataValue.url(outcome.link),
            "dates": outcome.window,
            "parameters": dg.MetadataValue.json(params.model_dump(by_alias=True, exclude_defaults=True)),
            "summary": dg.MetadataValue.json(summary),
            "notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in outcome.notes) or "none"),
            "preview": dg.MetadataValue.md(_preview_markdown(header, preview)),
            "request_event_id": config.event_id or "",
            "emailed_to": ", ".join(config.email),
            **(
                {"failed_cases": dg.MetadataValue.json({str(k): v for k, v in ctx.failed_cases.items()})}
                if ctx.failed_cases
                else {}
            ),
        },
    )


def report_asset(
    spec: ReportSpec, name: str | None = None, kinds: set[str] | None = None
) -> dg.AssetsDefinition:
    @dg.asset(
        name=name or report_asset_name(spec.report_type),
        partitions_def=cases_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="reports",
        kinds=kinds or {"csv", "xlsx"},
        owners=["team:platform"],
        retry_policy=RETRY_POLICY,
        output_required=False,
        description=spec.description,
        metadata=code_references(report_query=spec.rows),
        tags={"report_type": spec.report_type},
    )
    def _report(
        context: dg.AssetExecutionContext,
        config: ReportConfig,
        databases: DatabaseResource,
        object_store: ObjectStoreResource,
        mailer: MailerResource,
        event_bus: EventBusResource,
        report_settings: ReportSettingsResource,
    ):
        dbs = databases.databases()
        sinks = sinks_from(object_store, mailer, event_bus, report_settings)
        keys = context.partition_keys
        requests = list(config.requests) or [config]
        if config.requests and len(keys) != 1:
            raise dg.Failure(
                "Report requests name one case: run them for exactly one partition.", allow_retries=False
            )
        alone = len(keys) == 1 and len(requests) == 1
        failures: dict[str, str] = {}
        for partition_key in keys:
            case_id = case_id_of(partition_key)
            if config.active_only and not _is_active(dbs, case_id):
                log.info("skipped: the case is not active", extra={"fields": {"case_id": case_id}})
                continue
            for request in requests:
                label = partition_key if not config.requests else str(request.event_id)
                with log_context(
                    case_id=case_id,
                    run_id=context.run_id,
                    report_type=spec.report_type,
                    request_event_id=request.event_id,
                ):
                    try:
                        yield materialize_case_report(context, spec, request, case_id, dbs, sinks)
                    except RetryableError as exc:
                        if alone:
                            raise  # the retry policy tries the one report again
                        # Others in the run are done: a retry would make and deliver them twice.
                        failures[label] = "a service was briefly unavailable; ask for this report again"
                        if config.requests:
                            report_failed(
                                spec,
                                _scope(dbs, case_id),
                                f"{user_message(exc)} Ask for the report again.",
                                sinks,
                                list(request.email),
                                _outcome_event(spec, case_id, request, context.run_id, "failed"),
                            )
                    except Exception as exc:
                        if not isinstance(exc, PlatformError) and not config.requests:
                            raise
                        # One request of a batch that breaks is announced; the others go on.
                        log.error(
                            f"{spec.report_type} report failed: {exc}",
                            exc_info=not isinstance(exc, PlatformError),
                        )
                        failures[label] = user_message(exc)
                        report_failed(
                            spec,
                            _scope(dbs, case_id),
                            user_message(exc),
                            sinks,
                            list(request.email),
                            _outcome_event(spec, case_id, request, context.run_id, "failed"),
                        )
        if failures:
            what = "request(s)" if config.requests else "case(s)"
            summary = "; ".join(f"{what[:-3]} {k}: {v}" for k, v in sorted(failures.items()))
            raise dg.Failure(
                description=f"The {spec.title.lower()} report failed for {len(failures)} of "
                f"{len(keys) * len(requests)} {what}: {summary}"[:4000],
                metadata={
                    "failed_cases" if not config.requests else "failed_requests": dg.MetadataValue.json(
                        failures
                    )
                },
                allow_retries=False,
            )

    return _report


REPORT_ASSETS = {
    report_type: report_asset(
        spec, kinds={"csv", "xlsx", "sqlite"} if report_type != "coding_overlay" else {"csv", "xlsx", "dat"}
    )
    for report_type, spec in REPORTS.items()
}
