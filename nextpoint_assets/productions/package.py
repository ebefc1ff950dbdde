"""export_load_files, export_expansive_pdf and export_archive: from volumes to a tested archive."""

import hashlib
import json
import os
import tempfile
from pathlib import Path

import dagster as dg

from domain.productions import loadfiles
from nextpoint_assets.pii.gate import require_clearance
from nextpoint_assets.productions.common import (
    ExportState,
    download_prefix,
    export_step,
    production_asset,
    put_json,
)
from resources import sevenzip
from resources.dagster_resources import DatabaseResource, ObjectStoreResource

FIXED_MTIME = 946684800  # 2000-01-01: archives of the same files are the same bytes


class ArchiveConfig(dg.Config):
    compression_level: int = 1  # 7-Zip -mx: 0 (store) to 9; see resources/sevenzip.py


@production_asset(
    deps=["export_volumes"],
    kinds={"csv"},
    description="DAT, OPT, LFP, DII, LOG and CSV load files at the production root ({NAME}/), "
    "where their paths resolve.",
)
def export_load_files(
    context: dg.AssetExecutionContext, object_store: ObjectStoreResource
) -> dg.MaterializeResult:
    with export_step(context, object_store) as (case_id, export_id, store):
        state = ExportState(store, export_id)
        produced = state.produced()
        with tempfile.TemporaryDirectory(prefix="np-loadfiles-") as tmp:
            written = loadfiles.write_all(
                Path(tmp), state.manifest.export, state.plan.documents, produced, state.manifest.exhibits
            )
            keys = {}
            for kind, info in written.items():
                keys[kind] = store.put_file(state.production_prefix + info["path"].name, info["path"])
        return dg.MaterializeResult(
            metadata={
                **{f"{kind}_records": info["records"] for kind, info in written.items()},
                "keys": dg.MetadataValue.json(keys),
            }
        )


@production_asset(
    deps=["export_volumes"],
    kinds={"pdf"},
    description="When the manifest asks: one bookmarked PDF per volume, split every 1000 pages, "
    "with a cover page.",
)
def export_expansive_pdf(
    context: dg.AssetExecutionContext, object_store: ObjectStoreResource
) -> dg.MaterializeResult:
    from imaging import expansive  # here, not at load: img2pdf and reportlab cost every run ~0.1 s

    with export_step(context, object_store) as (case_id, export_id, store):
        state = ExportState(store, export_id)
        export = state.manifest.export
        if not export.expansive_pdf or export.image_format == "none":
            return dg.MaterializeResult(metadata={"requested": False})
        produced = state.produced()
        plan = state.plan
        labels = [plan.volume_documents(v)[0].volume_label for v in plan.volumes]
        facts = expansive.CoverFacts(
            export.name,
            labels,
            len(plan.documents),
            plan.page_total,
            plan.documents[0].begin if plan.documents else "",
            plan.documents[-1].end if plan.documents else "",
        )
        keys = []
        with tempfile.TemporaryDirectory(prefix="np-expansive-") as tmp:
            root = Path(tmp)
            for volume, label in zip(plan.volumes, labels, strict=True):
                docs = plan.volume_documents(volume)
                download_prefix(store, f"{state.production_prefix}{label}/", root / label)
                for part in expansive.build(
                    root, export, label, docs, produced, state.manifest.exhibits, facts
                ):
                    keys.append(store.put_file(state.production_prefix + part.name, part, "application/pdf"))
                    part.unlink()
        return dg.MaterializeResult(metadata={"requested": True, "files": dg.MetadataValue.json(keys)})


@production_asset(
    deps=["export_load_files", "export_expansive_pdf", "export_pii_scan"],
    kinds={"7z"},
    description="The production packed with 7-Zip in split volumes, tested, under zips/, "
    "listed in volumes.json (the test, listing and part hashes for QC in work/archive_test.json). "
    "Held while its PII scan awaits approval (export_pii_gate).",
)
def export_archive(
    context: dg.AssetExecutionContext,
    config: ArchiveConfig,
    object_store: ObjectStoreResource,
    databases: DatabaseResource,
) -> dg.MaterializeResult:
    with export_step(context, object_store) as (case_id, export_id, store):
        require_clearance(databases, context.partition_key)
        state = ExportState(store, export_id)
        export = state.manifest.export
        with tempfile.TemporaryDirectory(prefix="np-archive-") as tmp:
            root = Path(tmp) / export.safe_name
            download_prefix(store, state.production_prefix, root)
            for path in [*root.rglob("*"), root]:
                os.utime(path, (FIXED_MTIME, FIXED_MTIME))
            (Path(tmp) / "out").mkdir()
            packed = sevenzip.pack_tested(
                root,
                Path(tmp) / "out" / export.safe_name,
                export.split_bytes,
                min(9, max(0, config.compression_level)),
            )
            parts = packed.parts
            for stale in list(store.list(state.paths.zips)):
                if Path(stale).name not in {p.name for p in parts}:
                    store.delete(stale)
            volumes, tested = [], []
            for part in parts:
                with open(part, "rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256").hexdigest()
                key = store.put_file(state.paths.zips + part.name, part, "application/x-7z-compressed")
                volumes.append({"key": key, "bytes": part.stat().st_size})
                tested.append({"key": key, "bytes": part.stat().st_size, "sha256": digest})
        # QC's proof of the archive (imaging/archive_qc.py): what the one test and listing said, and the
        # parts that were tested. A work file: volumes.json keeps its contract fields.
        put_json(
            store,
            state.paths.archive_test_json,
            {
                "test": {"ok": "Everything is Ok" in packed.test_output, "summary": packed.test_summary},
                "listing": packed.listing,
                "parts": tested,
            },
        )
        put_json(
            store,
            state.paths.volumes_json,
            {"export_id": export_id, "name": export.safe_name, "volumes": volumes},
        )
        return dg.MaterializeResult(
            metadata={
                "archive_parts": len(volumes),
                "archive_bytes": sum(v["bytes"] for v in volumes),
                "volumes_json": store.key(state.paths.volumes_json),
                "keys": dg.MetadataValue.json([v["key"] for v in volumes]),
                "production_folder": dg.MetadataValue.url(
                    object_store.link(case_id, state.production_prefix.rstrip("/"))
                )
                if object_store.backend == "local"
                else "",
            }
        )


def archive_keys(store, state: ExportState) -> list[str]:
    return [v["key"] for v in json.loads(store.get_bytes(state.paths.volumes_json))["volumes"]]
