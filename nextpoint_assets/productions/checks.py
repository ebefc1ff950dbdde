"""Quality control of every production: blocking checks on export_archive, so a production
that fails any of them never reaches completion (no EXPORT_COMPLETED, no callback)."""

import contextlib
import tempfile
from pathlib import Path

import dagster as dg

from domain.errors import ObjectNotFound
from domain.log import log_context
from imaging import archive_qc, image_qc, raster
from imaging import production_qc as qc
from nextpoint_assets.partitions import exports_partitions
from nextpoint_assets.productions.common import (
    ExportState,
    download_prefix,
    get_json,
    parse_export_key,
    put_json,
)
from resources.dagster_resources import DocumentEngineResource, ObjectStoreResource

CHECKS = {
    "counts_agree": "Image files, OPT lines, LFP lines and the sum of PGCOUNT agree.",
    "bates_sequence": "Page numbers run without gap or duplicate across all volumes.",
    "documents_complete": "Every document has its text file; families are contiguous.",
    "loadfiles_parse": "Every load file parses back.",
    "images_valid": "Every image is the file its volume step wrote (SHA-256), its header is 300 dpi "
    "(TIFF: G4, strips inside the file); a seeded sample decodes in full; every PDF opens.",
    "archive_tests_clean": "The stored 7z parts are the ones the archive step tested clean (SHA-256) "
    "and the archive holds every file.",
    "no_redacted_text": "No redacted word or phrase occurs in produced content more often than it is "
    "visible in the source.",
}


def _leak_profiles(store, state: ExportState, results) -> dict[int, tuple[bytes | None, dict]]:
    """Each redacted document's leak profile with the key of its hashes (None when the key is gone)."""
    profiles: dict[int, tuple[bytes | None, dict]] = {}
    for result in results:
        found = result.get("leak_profiles", {})
        key = None
        if found and result.get("leak_key_id"):
            with contextlib.suppress(ObjectNotFound):
                key = store.get_bytes(state.paths.leak_key(result["leak_key_id"]))
        profiles.update({int(k): (key, v) for k, v in found.items()})
    return profiles


def _archive_facts(store, state: ExportState) -> tuple[dict | None, list[str], dict[str, dict], list[str]]:
    """What check_archive compares: the archive step's record of its test, the production's files in
    the store, each stored part's SHA-256 and size (hashed in place or streamed: no copy of zips/),
    and the parts volumes.json lists."""
    record = published = None
    with contextlib.suppress(ObjectNotFound):
        record = get_json(store, state.paths.archive_test_json)
    with contextlib.suppress(ObjectNotFound):
        published = [v["key"] for v in get_json(store, state.paths.volumes_json)["volumes"]]
    prefix, name = state.production_prefix, state.manifest.export.safe_name
    files = [f"{name}/{key[len(prefix) :]}" for key in store.list(prefix)]
    parts = {
        store.key(key): {"sha256": store.sha256(key), "bytes": store.size(key)}
        for key in store.list(state.paths.zips)
    }
    return record, files, parts, published or []


def qc_metadata(partition_key: str, outcome: qc.CheckOutcome) -> dict:
    """A QC result's metadata: the export it checked, its figures (what was counted, opened, parsed,
    read), and its failures when it has any."""
    return {
        "export": partition_key,
        **outcome.figures,
        **({"failures": dg.MetadataValue.json(outcome.details)} if outcome.details else {}),
    }


@dg.multi_asset_check(
    specs=[
        # Each result belongs to the export it checked (check history shows the partition).
        dg.AssetCheckSpec(
            name, asset="export_archive", blocking=True, description=text, partitions_def=exports_partitions
        )
        for name, text in CHECKS.items()
    ],
    description="Reads the production back (load files, texts, PDFs, image headers) and checks it "
    "against the proofs the volume and archive steps handed over (hashes, the archive's test).",
)
def export_quality_checks(
    context: dg.AssetCheckExecutionContext,
    object_store: ObjectStoreResource,
    document_engine: DocumentEngineResource,
):
    case_id, export_id = parse_export_key(context.partition_key)
    store = object_store.case(case_id)
    engine = document_engine.engine()
    with (
        log_context(case_id=case_id, export_id=export_id, run_id=context.run.run_id),
        tempfile.TemporaryDirectory(prefix="np-qc-") as tmp,
    ):
        state = ExportState(store, export_id)
        export, docs = state.manifest.export, state.plan.documents
        # A local store's production folder is read in place; from S3 the production is downloaded
        # (load files, texts, headers and hashes are read from it). The archive is not downloaded.
        root = store.readable_folder(state.production_prefix)
        if root is None:
            root = Path(tmp) / export.safe_name
            download_prefix(store, state.production_prefix, root)
        results = state.volume_results().values()
        produced = state.produced()
        profiles = _leak_profiles(store, state, results)
        pages = {int(k): v for r in results for k, v in r.get("redacted_pages", {}).items()}
        # Each volume step's proof of the files it wrote (None: a result from before it recorded them).
        proofs = {r["volume"]: r.get("files") for r in results}
        outcomes = [
            qc.check_counts(root, export, docs),
            qc.check_numbering(export, docs),
            qc.check_documents(root, export, docs, produced),
            qc.check_loadfiles_parse(root, export, docs),
            image_qc.check_images(root, proofs, seed=export_id),
            archive_qc.check_archive(*_archive_facts(store, state)),
            qc.check_redactions(
                root,
                export,
                docs,
                produced,
                profiles,
                pages,
                lambda image: engine.ocr(image, detect_orientation=True),
                engine.page_texts,
                lambda pdf, index: engine.render_page(pdf, index, raster.DPI, grayscale=True),
                # The OCR of each redacted page image the volume step made (not OCRed twice).
                {int(k): v for r in results for k, v in r.get("page_ocr", {}).items()},
            ),
        ]
    put_json(
        store,
        state.paths.qc_json,
        [{"name": o.name, "passed": o.passed, "details": o.details} for o in outcomes],
    )
    for outcome in outcomes:
        yield dg.AssetCheckResult(
            check_name=outcome.name,
            asset_key=dg.AssetKey("export_archive"),
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=outcome.description,
            metadata=qc_metadata(context.partition_key, outcome),
        )
