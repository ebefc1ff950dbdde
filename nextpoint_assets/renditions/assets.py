"""html_renditions: a case's documents as accessible HTML, each under
`case_{id}/renditions/html/{document_id}/` (index.html and its images), with a manifest of what was
made and what needs a person at `case_{id}/renditions/html/manifest.json`.

Only what the case's cleared PII scan screened is made (nextpoint_assets/renditions/pii.py): the
documents of its scope, each while its PDF still has the hash the scan read; any other is a
`not_screened` line. A document whose inputs (PDF, title, Bates numbers, renderer version) have the
hash its manifest entry records is skipped, so re-materializing redoes only the documents that
changed. Each other document is downloaded to a temp folder,
rendered (imaging/renditions/document.py) and uploaded, images first and index.html last; keys of
the document the new rendition does not use are then deleted. A document that cannot be made
(encrypted, damaged, no PDF, an unexpected error) is a problem line in the manifest and the run's
metadata; the rest are made. The manifest written merges this run into the last one.
"""

import contextlib
import dataclasses
import shutil
import tempfile
from pathlib import Path

import dagster as dg

from domain.errors import ObjectNotFound, PermanentError, RetryableError
from domain.event_header import request_name
from domain.log import get_logger, log_context
from domain.renditions.manifest import (
    FAILED,
    MISSING_SOURCE,
    NOT_SCREENED,
    DocumentProblem,
    ManifestError,
    RenditionEntry,
    RunManifest,
    inputs_sha256,
)
from domain.renditions.scope import RenditionScope
from imaging.renditions.document import render_document
from nextpoint_assets.errors import RETRY_POLICY, dagster_errors
from nextpoint_assets.partitions import case_id_of, cases_partitions, require_case
from nextpoint_assets.renditions.documents import SelectedDocument, in_case, select_documents
from nextpoint_assets.renditions.forms import HtmlRenditionsConfig, check_render
from nextpoint_assets.renditions.pii import cleared_scope, current_scan_id, html_rendition_pii_scan
from resources.dagster_resources import (
    DatabaseResource,
    DocumentEngineResource,
    EventBusResource,
    ObjectStoreResource,
)
from resources.event_bus import make_event

log = get_logger("renditions")

RENDITIONS = "renditions/html/"
MANIFEST = RENDITIONS + "manifest.json"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".png": "image/png"}


def document_prefix(document_id: int) -> str:
    return f"{RENDITIONS}{document_id}/"


def last_manifest(store, case_id: int) -> RunManifest:
    """The manifest of the last run; an empty one when there is none or it cannot be read (then
    every document is made again, which is safe)."""
    try:
        manifest = RunManifest.from_json(store.get_bytes(MANIFEST).decode("utf-8"))
    except ObjectNotFound:
        return RunManifest(case_id)
    except (ManifestError, UnicodeDecodeError) as exc:
        log.warning(f"the last rendition manifest cannot be read, every document is made again: {exc}")
        return RunManifest(case_id)
    return manifest if manifest.case_id == case_id else RunManifest(case_id)


def _upload(store, out_dir: Path, document_id: int) -> set[str]:
    """The rendition's files under the document's prefix, index.html last; returns the relative keys."""
    prefix = document_prefix(document_id)
    files = sorted(p for p in out_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    files.sort(key=lambda p: p.name == "index.html")
    for path in files:
        store.put_file(prefix + path.name, path, CONTENT_TYPES.get(path.suffix))
    return {prefix + p.name for p in files}


def _remove_stale(store, document_id: int, keep: set[str]) -> None:
    for key in list(store.list(document_prefix(document_id))):
        if key not in keep:
            store.delete(key)


def render_one(
    store, engine, doc: SelectedDocument, work: Path, max_pages: int
) -> RenditionEntry | DocumentProblem:
    """One document made and uploaded, or the problem that stopped it (its old files removed)."""
    problem = None
    source = work / f"{doc.document_id}.pdf"
    out_dir = work / f"{doc.document_id}-html"
    try:
        store.download(in_case(store, doc.pdf_key), source)
        result = render_document(
            engine,
            source,
            title=doc.title,
            page_labels=doc.page_labels(max_pages),
            out_dir=out_dir,
            max_pages=max_pages,
            document_id=doc.document_id,
            exhibit_ids=doc.exhibit_ids,
            key_prefix=store.key(document_prefix(doc.document_id).rstrip("/")) + "/",
        )
        if result.entry is None:
            problem = result.problem
            keep: set[str] = set()
        else:
            keep = _upload(store, out_dir, doc.document_id)
        _remove_stale(store, doc.document_id, keep)
        return result.entry or problem
    finally:
        source.unlink(missing_ok=True)
        shutil.rmtree(out_dir, ignore_errors=True)


def document_outcome(
    store,
    engine,
    doc: SelectedDocument,
    work: Path,
    max_pages: int,
    made_before: dict[int, RenditionEntry],
    scope: RenditionScope,
) -> RenditionEntry | DocumentProblem | None:
    """One document made, or its problem; None when what its rendition is made from is unchanged."""
    if doc.pdf_key is None:
        return DocumentProblem(doc.document_id, doc.exhibit_ids, MISSING_SOURCE, "no PDF is stored")
    try:
        sha = store.sha256(in_case(store, doc.pdf_key))
    except ObjectNotFound:
        return DocumentProblem(
            doc.document_id, doc.exhibit_ids, MISSING_SOURCE, "the PDF is not in the store"
        )
    if not scope.covers(doc.document_id, sha):
        why = "its PDF changed after" if doc.document_id in scope.screened else "it was not read by"
        detail = f"{why} PII scan {scope.scan_id}; run html_renditions_job again to screen it"
        _remove_stale(store, doc.document_id, set())  # an older rendition no longer shows this PDF
        return DocumentProblem(doc.document_id, doc.exhibit_ids, NOT_SCREENED, detail, sha)
    inputs = inputs_sha256(sha, doc.title, doc.page_labels(max_pages))
    before = made_before.get(doc.document_id)
    if before is not None and before.inputs_sha256 == inputs:
        return None
    try:
        outcome = render_one(store, engine, doc, work, max_pages)
    except RetryableError:
        raise  # the store or database is briefly away: the run is retried
    except Exception as exc:  # one document's surprise is its problem; the rest go on
        log.error(f"rendition failed: {type(exc).__name__}", exc_info=True)
        # Path-free: the exception's text may name a local file, so only its type is said.
        detail = f"an internal error ({type(exc).__name__}) stopped the rendition"
        return DocumentProblem(doc.document_id, doc.exhibit_ids, FAILED, detail, sha)
    if isinstance(outcome, RenditionEntry):
        return dataclasses.replace(outcome, inputs_sha256=inputs)
    return outcome


def make_renditions(
    context, config: HtmlRenditionsConfig, case_id: int, dbs, store, engine, scope: RenditionScope
) -> tuple[RunManifest, RunManifest, int, int]:
    """Render the documents `scope` screened of one case. Returns the manifest written (this run
    merged into the last), this run's own, how many documents were unchanged and how many selected."""
    selection = scope.selection
    with dbs.case_reader(case_id).connect() as conn:
        selected = select_documents(
            conn, selection["documents"], selection.get("label"), list(selection.get("exhibit_ids") or [])
        )
    previous = last_manifest(store, case_id)
    made_before = {e.document_id: e for e in previous.made}
    made: list[RenditionEntry] = []
    problems: list[DocumentProblem] = []
    skipped = 0
    try:
        with tempfile.TemporaryDirectory(prefix="np-renditions-") as tmp:
            for doc in selected:
                if doc.pdf_key is None and selection["documents"] == "all":
                    continue  # all means every document that has a PDF
                with log_context(document_id=doc.document_id):
                    outcome = document_outcome(
                        store, engine, doc, Path(tmp), config.max_pages, made_before, scope
                    )
                if outcome is None:
                    skipped += 1
                else:
                    (made if isinstance(outcome, RenditionEntry) else problems).append(outcome)
    except RetryableError:
        # What was made is kept, so the retry skips it; if the store is away too, the retry redoes it.
        with contextlib.suppress(RetryableError):
            partial = previous.merged(RunManifest(case_id, tuple(made), tuple(problems)))
            store.put_bytes(MANIFEST, partial.to_json().encode("utf-8"), "application/json")
        raise
    now = RunManifest(case_id, tuple(made), tuple(problems))
    merged = previous.merged(now)
    store.put_bytes(MANIFEST, merged.to_json().encode("utf-8"), "application/json")
    context.log.info(
        f"renditions of case {case_id}: {len(now.made)} made, {skipped} unchanged, "
        f"{len(now.problems)} with problems"
    )
    return merged, now, skipped, len(selected)


def scan_for(context, config: HtmlRenditionsConfig, store) -> str | None:
    """The scan whose scope this case's renditions make: the one named, else the case's latest."""
    if config.pii_scan_id is not None:
        if len(context.partition_keys) > 1:
            raise PermanentError("pii_scan_id names one case's scan: run one case at a time with it.")
        return config.pii_scan_id
    return current_scan_id(store)


def completed_event(case_id: int, run_id: str, config: HtmlRenditionsConfig, store, now, skipped) -> dict:
    name = request_name(config.event_id) if config.event_id else run_id
    return make_event(
        "HTML_RENDITION_COMPLETED",
        case_id,
        event_id=f"html_rendition_completed-{case_id}-{name}",
        manifest_key=store.key(MANIFEST),
        documents_made=len(now.made),
        documents_skipped=skipped,
        documents_with_problems=len(now.problems),
        pages_made=sum(e.pages for e in now.made),
        needs_person=sum(len(e.needs_person) for e in now.made),
        problem_document_ids=[p.document_id for p in now.problems][:1000],
        request_event_id=config.event_id,
    )


@dg.asset(
    partitions_def=cases_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="renditions",
    kinds={"html"},
    owners=["team:platform"],
    retry_policy=RETRY_POLICY,
    output_required=False,
    deps=[html_rendition_pii_scan],
    description="Accessible HTML renditions of the documents the case's cleared PII scan screened, "
    "each under renditions/html/{document_id}/ with a manifest of what was made and what needs a "
    "person. Held by html_rendition_pii_gate.",
)
def html_renditions(
    context: dg.AssetExecutionContext,
    config: HtmlRenditionsConfig,
    databases: DatabaseResource,
    object_store: ObjectStoreResource,
    document_engine: DocumentEngineResource,
    event_bus: EventBusResource,
):
    with dagster_errors(context):
        check_render(config)
        dbs = databases.databases()
        engine = document_engine.engine()
        platform = dbs.platform()
        held = []
        for partition_key in context.partition_keys:
            case_id = case_id_of(partition_key)
            with log_context(case_id=case_id, run_id=context.run_id, job="html_renditions"):
                require_case(dbs, case_id)
                store = object_store.case(case_id)
                try:
                    scope = cleared_scope(store, platform, case_id, scan_for(context, config, store))
                except PermanentError as hold:
                    if len(context.partition_keys) == 1:
                        raise
                    context.log.warning(f"case {case_id}: nothing rendered: {hold.user_message}")
                    held.append(case_id)
                    continue
                merged, now, skipped, selected = make_renditions(
                    context, config, case_id, dbs, store, engine, scope
                )
                summary = merged.summary()
                event_bus.bus().publish(completed_event(case_id, context.run_id, config, store, now, skipped))
                yield dg.AssetMaterialization(
                    asset_key=context.asset_key,
                    partition=partition_key,
                    metadata={
                        "case_id": case_id,
                        "pii_scan_id": scope.scan_id,
                        "documents_selected": selected,
                        "documents_made": len(now.made),
                        "documents_skipped": skipped,
                        "documents_with_problems": len(now.problems),
                        "pages_made": sum(e.pages for e in now.made),
                        "needs_person": summary["needs_person"],  # over the whole manifest
                        "problems": dg.MetadataValue.md(
                            "\n".join(f"- {p.line()}" for p in now.problems) or "none"
                        ),
                        "manifest_key": store.key(MANIFEST),
                        "manifest_documents": len(merged.made),
                        "manifest_problems": len(merged.problems),
                        "link": dg.MetadataValue.url(object_store.link(case_id, MANIFEST)),
                        **({"request_event_id": config.event_id} if config.event_id else {}),
                    },
                )
        if held and len(held) == len(context.partition_keys):
            raise PermanentError(f"Every case of the run is held by its PII review: {held[:20]}.")
