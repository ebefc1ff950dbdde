"""export_manifest: validate the manifest, inspect every PDF, and number every page."""

import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import dagster as dg

from domain.errors import (
    DocumentEncrypted,
    DocumentUnreadable,
    InvalidKeyError,
    ObjectNotFound,
    without_paths,
)
from domain.log import get_logger
from domain.productions.manifest import Problem, ValidatedManifest, produces_native, validate_manifest
from domain.productions.paths import ExportPaths
from domain.productions.plan import PdfInfo, build_plan
from nextpoint_assets.productions.common import export_step, production_asset, put_json
from resources.dagster_resources import DocumentEngineResource, EventBusResource, ObjectStoreResource
from resources.event_bus import make_event
from resources.manifest_reader import extract_manifest, read_tables

log = get_logger("exports.manifest")


def _inspect(store, engine, key: str, folder: Path) -> PdfInfo:
    """Download one PDF and count its pages; any fault becomes a reason naming the object key
    (the problem names the exhibit), never the local copy's temporary path."""
    local = folder / "doc.pdf"
    try:
        store.download(key, local)
        pages = engine.page_count(local)
        repaired = engine.repair_note(local) if pages else None
    except ObjectNotFound:
        return PdfInfo(problem=f"the PDF {key} is missing from the object store", code="document_not_found")
    except DocumentEncrypted:
        return PdfInfo(problem=f"the PDF {key} is password-protected", code="encrypted_pdf")
    except DocumentUnreadable as exc:
        reason = without_paths(str(exc.context.get("reason", "")), local, folder, name="the PDF")
        return PdfInfo(problem=f"the PDF {key} is corrupt or not a PDF ({reason})", code="unreadable_pdf")
    except InvalidKeyError as exc:
        return PdfInfo(problem=str(exc), code="bad_key")
    finally:
        local.unlink(missing_ok=True)
    if pages == 0:
        return PdfInfo(problem=f"the PDF {key} has no pages", code="empty_pdf")
    return PdfInfo(pages=pages, warning=f"{key}: {repaired}" if repaired else None)


def inspect_documents(manifest: ValidatedManifest, store, engine) -> dict[int, PdfInfo]:
    """Page counts of the PDFs the production will image; missing natives and texts noted."""
    wanted = []
    for row in manifest.rows:
        exhibit = manifest.exhibits[row.exhibit_id]
        if (
            exhibit.native_key
            and produces_native(row, exhibit, manifest.export.native_inclusion)
            and not store.exists(exhibit.native_key)
        ):
            manifest.problems.append(
                Problem(
                    "native_not_found",
                    f"the native {exhibit.native_key} is missing; page images produced instead",
                    exhibit.id,
                    row.volume,
                    "warning",
                )
            )
            manifest.exhibits[exhibit.id] = exhibit = replace(exhibit, native_key=None)
        if exhibit.text_key and not store.exists(exhibit.text_key):
            manifest.problems.append(
                Problem(
                    "text_not_found",
                    f"the extracted text {exhibit.text_key} is missing; text comes from the PDF or OCR",
                    exhibit.id,
                    row.volume,
                    "warning",
                )
            )
            manifest.exhibits[exhibit.id] = exhibit = replace(exhibit, text_key=None)
        if not row.withheld:
            wanted.append(exhibit)
    infos: dict[int, PdfInfo] = {}

    def one(exhibit) -> tuple[int, PdfInfo]:
        if not exhibit.pdf_key:
            return exhibit.id, PdfInfo(problem="the manifest gives no PDF rendition", code="no_pdf")
        with tempfile.TemporaryDirectory(prefix="np-inspect-") as tmp:
            return exhibit.id, _inspect(store, engine, exhibit.pdf_key, Path(tmp))

    # Downloads overlap; pdfium itself is not thread-safe, so page counting is serialised by the engine lock.
    with ThreadPoolExecutor(max_workers=8) as pool:
        for exhibit_id, info in pool.map(one, wanted):
            infos[exhibit_id] = info
    return infos


@production_asset(
    kinds={"sqlite", "json"},
    description="The export manifest, validated, with every PDF inspected and every page numbered "
    "(plan.json).",
)
def export_manifest(
    context: dg.AssetExecutionContext,
    object_store: ObjectStoreResource,
    document_engine: DocumentEngineResource,
    event_bus: EventBusResource,
) -> dg.MaterializeResult:
    with export_step(context, object_store) as (case_id, export_id, store):
        paths = ExportPaths(export_id)
        with tempfile.TemporaryDirectory(prefix="np-manifest-") as tmp:
            zip_path = store.download(paths.manifest_zip, Path(tmp) / "manifest.zip")
            tables = read_tables(extract_manifest(zip_path, Path(tmp) / "manifest.sqlite"))
        manifest = validate_manifest(tables, case_id, export_id)
        event_bus.bus().publish(
            make_event(
                "EXPORT_STARTED",
                case_id,
                event_id=f"export_started-{case_id}-{export_id}-{context.run_id}",
                export_id=export_id,
                page_count=0,
                archive_keys=[],
                error=None,
            )
        )
        infos = inspect_documents(manifest, store, document_engine.engine())
        plan = build_plan(manifest, infos)
        put_json(store, paths.manifest_json, manifest.to_json())
        put_json(store, paths.plan_json, plan.to_json())
        # Every manifest and planning problem, by exhibit; volume steps add their own logs beside it.
        store.put_bytes(
            paths.error_log("manifest"),
            "".join(p.line() + "\n" for p in plan.problems).encode("utf-8"),
            "text/plain; charset=utf-8",
        )
        errors = [p for p in plan.problems if p.severity == "error"]
        for problem in plan.problems:
            log.warning(problem.line(), extra={"fields": {"exhibit_id": problem.exhibit_id}})
        return dg.MaterializeResult(
            metadata={
                "case_id": case_id,
                "export_id": export_id,
                "name": manifest.export.safe_name,
                "documents": len(plan.documents),
                "pages": plan.page_total,
                "volumes": len(plan.volumes),
                "first_page": plan.documents[0].begin if plan.documents else "",
                "last_page": plan.documents[-1].end if plan.documents else "",
                "documents_left_out": len({p.exhibit_id for p in errors}),
                "problems": dg.MetadataValue.md(_problem_table(plan.problems)),
                "plan_key": store.key(paths.plan_json),
            }
        )


def _problem_table(problems: list[Problem]) -> str:
    if not problems:
        return "No problems."
    lines = ["| exhibit | severity | problem | detail |", "|---|---|---|---|"]
    for p in problems[:200]:
        lines.append(
            f"| {p.exhibit_id if p.exhibit_id is not None else ''} | {p.severity} | {p.code} "
            f"| {p.message.replace('|', '/')} |"
        )
    if len(problems) > 200:
        lines.append(f"| | | | {len(problems) - 200} more in the error logs |")
    return "\n".join(lines)
