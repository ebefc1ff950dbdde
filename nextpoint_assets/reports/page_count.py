"""Page-count report asset: one CSV per case under case_{id}/reports/page_count/."""


import tempfile
from pathlib import Path

import dagster as dg

from domain.errors import PlatformError
from domain.log import get_logger, log_context
from domain.reports import page_count
from domain.tabular import write_csv
from nextpoint_assets.errors import RETRY_POLICY, user_message
from nextpoint_assets.partitions import case_id_of, cases_partitions
from resources.dagster_resources import DatabaseResource, ObjectStoreResource

log = get_logger("reports.page_count")

REPORT_KEY = "reports/page_count/page_count.csv"


def build_page_count_report(case_id: int, databases, case_store) -> dict:
    """Query, write and upload one case's report; returns its metadata."""
    totals = page_count.Totals()
    with tempfile.TemporaryDirectory(prefix="np-report-") as tmp:
        path = Path(tmp) / "page_count.csv"
        with databases.case_reader(case_id).connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=2000).execute(page_count.query())
            summary = write_csv(path, page_count.COLUMNS, page_count.rows_with_totals(result, totals))
        key = case_store.put_file(REPORT_KEY, path, content_type="text/csv")
    return {"object_key": key, "totals": totals, "preview": summary.preview}


@dg.asset(
    partitions_def=cases_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="reports",
    kinds={"csv", "sqlite"},
    owners=["team:platform"],
    retry_policy=RETRY_POLICY,
    output_required=False,
    description="Exhibits of a case with their verified page counts and the totals (CSV).",
)
def page_count_report(context: dg.AssetExecutionContext, databases: DatabaseResource, object_store: ObjectStoreResource):
    """One run handles every partition of a backfill; a failing case never loses the others."""
    failures: dict[str, str] = {}
    dbs = databases.databases()
    for partition_key in context.partition_keys:
        case_id = case_id_of(partition_key)
        with log_context(case_id=case_id, run_id=context.run_id, job="page_count_report"):
            try:
                out = build_page_count_report(case_id, dbs, object_store.case(case_id))
            except PlatformError as exc:
                log.error(f"page count report failed: {exc}")
                failures[partition_key] = user_message(exc)
                continue
            totals = out["totals"]
            log.info(f"page count report written: {totals.exhibits} exhibits, {totals.pages} pages")
            yield dg.AssetMaterialization(
                asset_key=context.asset_key,
                partition=partition_key,
                metadata={
                    "case_id": case_id,
                    "object_key": out["object_key"],
                    "link": dg.MetadataValue.url(object_store.link(case_id, REPORT_KEY)),
                    "row_count": totals.exhibits,
                    "page_total": totals.pages,
                    "exhibits_without_page_count": totals.without_count,
                    "preview": dg.MetadataValue.md(_preview_markdown(out["preview"])),
                },
            )
    if failures:
        summary = "; ".join(f"case {k}: {v}" for k, v in sorted(failures.items()))
        raise dg.Failure(
            description=f"The page count report failed for {len(failures)} of {len(context.partition_keys)} case(s): {summary}",
            metadata={"failed_cases": dg.MetadataValue.json(failures)},
            allow_retries=False,
        )


def _preview_markdown(rows: list[list]) -> str:
    header = "| " + " | ".join(page_count.COLUMNS) + " |\n|" + "---|" * len(page_count.COLUMNS) + "\n"
    body = "".join("| " + " | ".join(str(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |\n" for row in rows)
    return header + body
