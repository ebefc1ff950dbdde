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

from domain.errors import PlatformError, RetryableError
from domain.log import get_logger, log_context
from domain.reports.catalog import REPORTS
from domain.reports.request import (
    ReportParameters,
    check_format,
    parse_parameters,
    report_asset_name,
    request_name,
)
from domain.reports.spec import ReportSpec
from domain.reports.sql import case_row
from domain.schema import npcases
from nextpoint_assets.code_references import code_references
from nextpoint_assets.errors import RETRY_POLICY, user_message
from nextpoint_assets.partitions import case_id_of, cases_partitions, require_case
from nextpoint_assets.reports.checks import (
    has_rows_of,
    no_rows_note,
    report_check_outputs,
    report_check_specs,
)
from nextpoint_assets.reports.forms import form_failure, form_problems, form_values, plain, report_config
from nextpoint_assets.reports.runner import (
    case_target,
    classify,
    link_metadata,
    make_context,
    report_failed,
    run_report,
    sinks_from,
)
from resources.dagster_resources import (
    DatabaseResource,
    EventBusResource,
    MailerResource,
    ObjectStoreResource,
    ReportSettingsResource,
)

log = get_logger("reports")


def parameters(report_type: str, config: dg.Config) -> ReportParameters:
    """The request's parameters, checked for its report type (PermanentError names every problem)."""
    values = form_values(config)
    return parse_parameters(
        report_type, {k: v for k, v in values.items() if k in ReportParameters.model_fields}
    )


def _request_name(event_id: str | None) -> str | None:
    return request_name(event_id) if event_id else None


def _preview_markdown(header: list[str], rows: list[list]) -> str:
    def esc(v) -> str:
        return str(v).replace("|", "\\|").replace("\r", " ").replace("\n", " ")[:80]

    head = "| " + " | ".join(esc(h) for h in header) + " |\n|" + "---|" * len(header) + "\n"
    return head + "".join("| " + " | ".join(esc(v) for v in row) + " |\n" for row in rows)


def _outcome_event(spec: ReportSpec, case_id: int, config: dg.Config, run_id: str, status: str) -> dict:
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


def materialize_case_report(context, spec: ReportSpec, config: dg.Config, case_id: int, dbs, sinks):
    """One case's report: returns the AssetMaterialization, raises a typed error."""
    fmt = check_format(plain(config.format))
    params = parameters(spec.report_type, config)
    require_case(dbs, case_id)
    # A key of its own per materialization (a request's is per request); latest.json points at it.
    target = case_target(case_id, spec.report_type, fmt, _request_name(config.event_id), context.run_id)
    full_key = target.key
    with tempfile.TemporaryDirectory(prefix="np-report-ctx-") as tmp:
        ctx = make_context(case_id, params, dbs, sinks.store, Path(tmp))
        try:
            outcome, preview, header = run_report(
                spec,
                ctx,
                fmt,
                target,
                _scope(dbs, case_id),
                sinks,
                list(config.email),
                _outcome_event(spec, case_id, config, context.run_id, "completed"),
            )
        except Exception as exc:
            raise classify(exc) from exc
    # Debug, not info: the materialization says the same, and a backfill of 1,000 cases would write
    # 1,000 more events to the event log (a quarter of its per-case writes, bench `report_backfill`).
    log.debug(f"{spec.report_type} report written: {outcome.rows} rows")
    summary = {k: v for k, v in ctx.summary.items() if k not in ("email_body", "data_rows")}
    if outcome.rows == 0:  # said in the notes, and by the has_rows check (reports/checks.py)
        outcome.notes.insert(
            0, no_rows_note(outcome.window, params.model_dump(by_alias=True, exclude_defaults=True))
        )
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
            **link_metadata(outcome),
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


def refused_requests(
    context, spec: ReportSpec, keys: list[str], requests: list, sinks, *, batch: bool
) -> tuple[list, dict[str, str]]:
    """The requests whose form values are right, and the refused ones' problems by event id.

    A request an event made (it has an event id) is announced as REPORT_FAILED, with a failure email,
    as any failed request is. A single request that is wrong fails the run at once: one line naming
    the fields as the form names them, no stack trace, no retry (`allow_retries=False`)."""
    kept, refused = [], {}
    for request in requests:
        values = form_values(request)
        problems = form_problems(spec.report_type, values)
        if not problems:
            kept.append(request)
            continue
        failure = form_failure(spec.title, problems, request.event_id)
        if request.event_id:
            for partition_key in keys:
                case_id = case_id_of(partition_key)
                report_failed(
                    spec,
                    f"case {case_id}",
                    failure.description,
                    sinks,
                    [] if "email" in problems else list(values["email"]),
                    _outcome_event(spec, case_id, request, context.run_id, "failed"),
                )
        if not batch:
            raise failure
        log.error(failure.description)
        refused[str(request.event_id)] = failure.description
    return kept, refused


def report_asset(
    spec: ReportSpec, name: str | None = None, kinds: set[str] | None = None
) -> dg.AssetsDefinition:
    form = report_config(spec.report_type)

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
        check_specs=report_check_specs(name or report_asset_name(spec.report_type), cases_partitions),
    )
    def _report(
        context: dg.AssetExecutionContext,
        config: form,
        databases: DatabaseResource,
        object_store: ObjectStoreResource,
        mailer: MailerResource,
        event_bus: EventBusResource,
        report_settings: ReportSettingsResource,
    ):
        keys = context.partition_keys
        requests = list(config.requests) or [config]
        if config.requests and len(keys) != 1:
            raise dg.Failure(
                "Report requests name one case: run them for exactly one partition.", allow_retries=False
            )
        sinks = sinks_from(object_store, mailer, event_bus, report_settings)
        # What the config system cannot check fails here, before any database work (refused_requests).
        made, failures = refused_requests(context, spec, keys, requests, sinks, batch=bool(config.requests))
        dbs = databases.databases()
        alone = len(keys) == 1 and len(requests) == 1
        for partition_key in keys:
            case_id = case_id_of(partition_key)
            if config.active_only and not _is_active(dbs, case_id):
                log.info("skipped: the case is not active", extra={"fields": {"case_id": case_id}})
                continue
            for request in made:
                label = partition_key if not config.requests else str(request.event_id)
                with log_context(
                    case_id=case_id,
                    run_id=context.run_id,
                    report_type=spec.report_type,
                    request_event_id=request.event_id,
                ):
                    try:
                        materialization = materialize_case_report(context, spec, request, case_id, dbs, sinks)
                        yield materialization
                        yield from has_rows_of(context, materialization)
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
        yield from report_check_outputs(context)
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
