"""account_user_activity_report: each account's user activity over all its cases, one file per month.

Partitioned by month; one run covers every account (or the ones named), and
within an account every case is read (domain/reports/user_activity.py: fan_out).
A case that cannot be read is named in the report's notes and metadata; the
account's other cases are still reported.
"""

import tempfile
from pathlib import Path

import dagster as dg
from sqlalchemy import select

from domain.errors import PlatformError, RetryableError
from domain.log import get_logger, log_context
from domain.reports import user_activity
from domain.reports.request import ReportParameters, check_format, check_month
from domain.reports.spec import ReportSpec
from domain.schema import accounts, npcases
from nextpoint_assets.code_references import code_references
from nextpoint_assets.errors import RETRY_POLICY, user_message
from nextpoint_assets.partitions import months_partitions
from nextpoint_assets.reports.checks import (
    month_has_rows,
    no_rows_note,
    report_check_outputs,
    report_check_specs,
)
from nextpoint_assets.reports.runner import (
    account_target,
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

log = get_logger("reports.account_activity")

SPEC = ReportSpec(
    "user_activity",
    "Account user activity",
    user_activity.SPEC.description,
    "cases",
    user_activity.SPEC.columns,
    lambda ctx: user_activity.fan_out(ctx, ctx.params.case_ids),
)


class AccountActivityConfig(dg.Config):
    format: str = "xlsx"  # csv | xlsx
    account_ids: list[int] = []  # default: every account with a case that is not deleted
    email: list[str] = []
    parallel_cases: int = user_activity.PARALLEL_CASES


def _accounts(dbs, wanted: list[int]) -> list[tuple[int, str, list[int]]]:
    with dbs.core_reader().connect() as core:
        q = (
            select(accounts.c.id, accounts.c.name, npcases.c.id)
            .join(npcases, npcases.c.account_id == accounts.c.id)
            .where(npcases.c.status != "deleted")
            .order_by(accounts.c.id, npcases.c.id)
        )
        if wanted:
            q = q.where(accounts.c.id.in_(wanted))
        grouped: dict[int, tuple[str, list[int]]] = {}
        for account_id, name, case_id in core.execute(q):
            grouped.setdefault(account_id, (name, []))[1].append(case_id)
    return [(a, name, ids) for a, (name, ids) in grouped.items()]


@dg.asset(
    partitions_def=months_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="reports",
    kinds={"csv", "xlsx"},
    owners=["team:platform"],
    retry_policy=RETRY_POLICY,
    output_required=False,
    description="Per account and month: every user's activity in every case of the account (core database "
    "plus each case database).",
    metadata=code_references(report_query=user_activity.fan_out),
    check_specs=report_check_specs("account_user_activity_report", months_partitions),
)
def account_user_activity_report(
    context: dg.AssetExecutionContext,
    config: AccountActivityConfig,
    databases: DatabaseResource,
    object_store: ObjectStoreResource,
    mailer: MailerResource,
    event_bus: EventBusResource,
    report_settings: ReportSettingsResource,
):
    fmt = check_format(config.format)
    dbs = databases.databases()
    sinks = sinks_from(object_store, mailer, event_bus, report_settings)
    failures: dict[str, str] = {}
    for month in context.partition_keys:
        start, end = check_month(month[:7])
        rows_by_account: dict[str, int] = {}  # for has_rows: one result per month over its accounts
        for account_id, name, case_ids in _accounts(dbs, list(config.account_ids)):
            with log_context(account_id=account_id, month=month[:7], run_id=context.run_id):
                params = ReportParameters(**{"from": start.date().isoformat(), "to": _last_day(end)})
                params.case_ids = case_ids
                # One file per run in the month's folder: re-running a month never overwrites the last one.
                target = account_target(account_id, "user_activity", month[:7], fmt, context.run_id)
                scope = f"account {account_id} ({name}), {month[:7]}"
                try:
                    with tempfile.TemporaryDirectory(prefix="np-report-ctx-") as tmp:
                        ctx = make_context(None, params, dbs, sinks.store, Path(tmp))
                        try:
                            outcome, preview, header = run_report(
                                SPEC, ctx, fmt, target, scope, sinks, list(config.email), None
                            )
                        except Exception as exc:
                            raise classify(exc) from exc
                except RetryableError:
                    raise
                except PlatformError as exc:
                    failures[f"{month[:7]}/{account_id}"] = user_message(exc)
                    report_failed(SPEC, scope, user_message(exc), sinks, list(config.email), None)
                    continue
                if outcome.rows == 0:
                    outcome.notes.insert(0, no_rows_note(outcome.window))
                rows_by_account[f"{account_id} ({name})"] = outcome.rows
                yield dg.AssetMaterialization(
                    asset_key=context.asset_key,
                    partition=month,
                    metadata={
                        "account_id": account_id,
                        "account": name,
                        "cases": len(case_ids),
                        "row_count": outcome.rows,
                        "object_key": target.key,
                        **link_metadata(outcome),
                        "failed_cases": dg.MetadataValue.json(
                            {str(k): v for k, v in ctx.failed_cases.items()}
                        ),
                        "notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in outcome.notes) or "none"),
                    },
                )
        yield from month_has_rows(context, month, rows_by_account)
    yield from report_check_outputs(context)
    if failures:
        raise dg.Failure(
            description="The account activity report failed for "
            + "; ".join(f"{k}: {v}" for k, v in sorted(failures.items())),
            allow_retries=False,
        )


def _last_day(end) -> str:
    from datetime import timedelta

    return (end - timedelta(days=1)).date().isoformat()
