"""export_volumes: one step per volume (parallel, capped by the `export_volumes` pool).

Each volume step downloads its documents, produces them in a pool of worker
processes, uploads every file under production/{NAME}/{VOL}/, and writes its
result (files, problems, the leak profiles of redacted documents: keyed hashes and
counts, never words) to work/volumes/{VOL}.json; the key of those hashes, random per
volume run, goes to its own work file (work/leak_keys/, see docs/productions.md).
A volume whose result matches the current plan is already done and is skipped,
so a re-run only redoes the volumes that failed.
"""

import hashlib
import json
import os
import secrets
import tempfile
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict
from pathlib import Path

import dagster as dg

from domain.errors import ObjectNotFound
from domain.log import get_logger, log_context
from domain.productions import leaks, volume_sizing
from domain.productions.manifest import Problem
from imaging.doc_job import DocJob, DocOutcome
from nextpoint_assets.dead_runs import record_this_machine, release_dead_slot_holders
from nextpoint_assets.errors import RETRY_POLICY, dagster_errors
from nextpoint_assets.partitions import exports_partitions
from nextpoint_assets.productions import worker
from nextpoint_assets.productions.common import (
    ExportState,
    get_json,
    parse_export_key,
    put_json,
)
from nextpoint_assets.productions.worker_pool import default_workers, worker_pool
from resources.dagster_resources import DocumentEngineResource, ObjectStoreResource
from resources.settings import get_settings

log = get_logger("exports.volumes")


class VolumeConfig(dg.Config):
    workers: int = 0  # worker processes per volume; 0 = worker_pool.default_workers (cores, shared)
    force: bool = False  # redo the volume even if its result matches the plan


def _prepare(
    job_dir: Path, store, state: ExportState, doc, leak_key: bytes = b""
) -> tuple[DocJob, list[Problem]]:
    """Download what one document needs; a vanished input becomes a placeholder, not a crash."""
    exhibit = state.manifest.exhibits[doc.exhibit_id]
    problems: list[Problem] = []
    local: dict[str, str | None] = {"pdf": None, "native": None, "text": None}
    wanted = {
        "pdf": exhibit.pdf_key if doc.kind in ("image", "native") else None,
        "native": exhibit.native_key if doc.kind == "native" else None,
        "text": exhibit.text_key if doc.kind in ("image", "native") else None,
    }
    for kind, key in wanted.items():
        if not key:
            continue
        try:
            local[kind] = str(store.download(key, job_dir / f"{doc.exhibit_id}.{kind}"))
        except ObjectNotFound:
            # A missing PDF or native becomes placeholder pages (reported); missing text falls back to OCR.
            problems.append(
                Problem(
                    "document_not_found",
                    f"{key} is missing",
                    doc.exhibit_id,
                    doc.volume,
                    "warning" if kind == "text" else "error",
                )
            )
    job = DocJob(
        doc=doc,
        exhibit=exhibit,
        export=state.manifest.export,
        out_root=str(job_dir / "out"),
        pdf_path=local["pdf"],
        native_path=local["native"],
        text_path=local["text"],
        redactions=state.manifest.redactions.get(doc.exhibit_id, []),
        leak_key=leak_key,
    )
    return job, problems


def _files_of(outcome: DocOutcome) -> list[str]:
    produced = outcome.produced
    paths = [p.path for p in produced.pages] + [
        produced.text_path,
        produced.fulltext_path,
        produced.native_path,
        produced.pdf_path,
    ]
    return list(dict.fromkeys(p for p in paths if p))


def produce_volume(
    store, engine_resource: DocumentEngineResource, export_id: int, volume: int, workers: int, force: bool
) -> dict:
    state = ExportState(store, export_id)
    docs = state.plan.volume_documents(volume)
    label = docs[0].volume_label
    digest = state.plan_digest
    result_key = state.paths.volume_json(label)
    if not force and store.exists(result_key) and get_json(store, result_key).get("plan_digest") == digest:
        log.info(f"{label} already produced for this plan; skipped")
        return {"volume": label, "skipped": True}
    prefix = state.production_prefix
    workers = workers or default_workers(len(state.plan.volumes))
    # Per document only what the result keeps (compact: a large volume's memory is these records).
    produced: dict[int, dict] = {}
    profiles: dict[int, dict] = {}
    page_ocr: dict[int, dict] = {}
    problems: list[Problem] = [p for p in state.plan.problems if p.volume == volume]
    files: dict[str, dict] = {}  # QC's proof of each file: its SHA-256 and size as written here
    seconds: dict[str, float] = {}
    ocr_pages: dict[str, int] = {}
    # Keys the hashes of this run's leak profiles; written before the result that names it, and only
    # for a volume that has a redacted document (nothing else is profiled).
    leak_key, leak_key_id = b"", None
    if any(d.redacted for d in docs):
        leak_key = secrets.token_bytes(32)
        leak_key_id = leaks.key_id(leak_key)
        store.put_bytes(state.paths.leak_key(leak_key_id), leak_key, "application/octet-stream")

    with tempfile.TemporaryDirectory(prefix=f"np-{label}-") as tmp:
        root = Path(tmp)

        def finish(doc, outcome: DocOutcome, job_dir: Path) -> None:
            for relative in _files_of(outcome):
                local = job_dir / "out" / relative
                with open(local, "rb") as handle:
                    files[relative] = {
                        "sha256": hashlib.file_digest(handle, "sha256").hexdigest(),
                        "bytes": os.fstat(handle.fileno()).st_size,
                    }
                store.put_file(prefix + relative, local)
            produced[doc.exhibit_id] = outcome.produced.to_json()
            if outcome.leak_profile is not None:
                profiles[doc.exhibit_id] = outcome.leak_profile
            if doc.redacted:
                page_ocr[doc.exhibit_id] = outcome.page_ocr
            problems.extend(outcome.problems)
            for name, value in outcome.seconds.items():
                seconds[name] = seconds.get(name, 0.0) + value
            for name, value in outcome.ocr_pages.items():
                ocr_pages[name] = ocr_pages.get(name, 0) + value
            for path in sorted(job_dir.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()

        if workers <= 1:
            worker.init(engine_resource.tessdata_prefix, engine_resource.language)
            for doc in docs:
                with log_context(exhibit_id=doc.exhibit_id):
                    job_dir = root / str(doc.exhibit_id)
                    job, early = _prepare(job_dir, store, state, doc, leak_key)
                    problems.extend(early)
                    finish(doc, worker.run(job), job_dir)
        else:
            # The run process's pool, kept across volume steps (nextpoint_assets/productions/worker_pool.py).
            with worker_pool(workers, engine_resource.tessdata_prefix, engine_resource.language) as pool:
                pending: dict[Future, tuple] = {}
                for doc in docs:
                    job_dir = root / str(doc.exhibit_id)
                    job, early = _prepare(job_dir, store, state, doc, leak_key)
                    problems.extend(early)
                    pending[pool.submit(worker.run, job)] = (doc, job_dir)
                    while len(pending) >= 2 * workers:  # bounded: flat memory and disk
                        done, _ = wait(pending, return_when=FIRST_COMPLETED)
                        for future in done:
                            doc_done, dir_done = pending.pop(future)
                            finish(doc_done, future.result(), dir_done)
                for future, (doc_done, dir_done) in list(pending.items()):
                    finish(doc_done, future.result(), dir_done)

    # A re-run after a crash leaves no strays: anything under this volume not produced now goes.
    for relative in list(store.list(f"{prefix}{label}/")):
        if relative[len(prefix) :] not in files:
            store.delete(relative)
    result = {
        "volume": label,
        "plan_digest": digest,
        "documents": [produced[d.exhibit_id] for d in docs],
        "leak_key_id": leak_key_id,
        "leak_profiles": {
            str(d.exhibit_id): profiles[d.exhibit_id] for d in docs if d.exhibit_id in profiles
        },
        "redacted_pages": {
            str(d.exhibit_id): sorted(
                {
                    r.page_number
                    for r in state.manifest.redactions.get(d.exhibit_id, [])
                    if r.page_number <= d.pages
                }
            )
            for d in docs
            if d.redacted
        },
        # QC's reading of each redacted page image, OCRed once here (imaging/page_images._hand_over).
        "page_ocr": {str(d.exhibit_id): page_ocr[d.exhibit_id] for d in docs if d.redacted},
        "problems": [asdict(p) for p in problems],
        # Each uploaded file (relative to the production root) with its SHA-256 and size: QC checks the
        # files it finds against these instead of decoding every image (imaging/production_qc.py).
        "files": dict(sorted(files.items())),
        "pages": sum(d.pages for d in docs),
        "ocr_pages": ocr_pages,
        "seconds": seconds,
    }
    store.put_bytes(
        state.paths.error_log(label),
        "".join(p.line() + "\n" for p in problems).encode("utf-8"),
        "text/plain; charset=utf-8",
    )
    put_json(store, result_key, result)
    return {
        "volume": label,
        "skipped": False,
        "pages": result["pages"],
        "problems": len(problems),
        "ocr_pages": ocr_pages,
        "seconds": seconds,
    }


@dg.op(
    ins={"start": dg.In(dg.Nothing)},
    out={
        "volume": dg.DynamicOut(int, description="Volumes at the ordinary step size."),
        "ocr_volume": dg.DynamicOut(
            int, description="OCR-heavy volumes (domain/productions/volume_sizing.py)."
        ),
    },
    description="One output per volume of the plan, OCR-heavy volumes apart so their steps get more CPU.",
)
def export_volume_fanout(context: dg.OpExecutionContext, object_store: ObjectStoreResource):
    # Before the volumes claim pool slots: free those that dead runs hold (docs/operations.md, "Recover").
    release_dead_slot_holders(context.instance, context.dagster_run, ["export_volumes"], context.log)
    case_id, export_id = parse_export_key(context.partition_key)
    state = ExportState(object_store.case(case_id), export_id)
    manifest = state.manifest
    for volume in state.plan.volumes:
        docs = state.plan.volume_documents(volume)
        ocr_pages = volume_sizing.expected_ocr_pages(
            docs,
            manifest.export.text_mode,
            lambda exhibit_id: manifest.exhibits[exhibit_id].text_key is not None,
            lambda exhibit_id: len({r.page_number for r in manifest.redactions.get(exhibit_id, [])}),
        )
        heavy = volume_sizing.is_ocr_heavy(sum(d.pages for d in docs), ocr_pages)
        yield dg.DynamicOutput(
            volume, output_name="ocr_volume" if heavy else "volume", mapping_key=f"volume_{volume:03d}"
        )


def volume_step_tags(cpu: int, memory: int) -> dict[str, str]:
    """Size of a volume step's own container when each step is one (NP_EXECUTOR=ecs|k8s; the local
    executor ignores these tags): `cpu` in ECS units (1024 = 1 vCPU), `memory` in MiB."""
    k8s_resources = {"requests": {"cpu": f"{cpu * 1000 // 1024}m", "memory": f"{memory}Mi"}}
    k8s_resources["limits"] = {"memory": f"{memory}Mi"}  # no CPU limit: throttling only slows the step
    return {
        "ecs/cpu": str(cpu),
        "ecs/memory": str(memory),
        "dagster-k8s/config": json.dumps({"container_config": {"resources": k8s_resources}}),
    }


_SETTINGS = get_settings()


@dg.op(
    pool="export_volumes",
    retry_policy=RETRY_POLICY,
    description="Produce one volume.",
    tags=volume_step_tags(_SETTINGS.volume_step_cpu, _SETTINGS.volume_step_memory),
)
def export_volume(
    context: dg.OpExecutionContext,
    config: VolumeConfig,
    volume: int,
    object_store: ObjectStoreResource,
    document_engine: DocumentEngineResource,
) -> dict:
    record_this_machine(context.instance, context.dagster_run)  # a re-execution may not pass the fan-out
    case_id, export_id = parse_export_key(context.partition_key)
    summary: dict = {"volume": volume, "skipped": True}
    with (
        log_context(case_id=case_id, export_id=export_id, run_id=context.run_id, job=f"volume {volume}"),
        dagster_errors(context),
    ):
        summary = produce_volume(
            object_store.case(case_id), document_engine, export_id, volume, config.workers, config.force
        )
        context.log.info(f"volume {summary['volume']}: {summary}")
    return summary


# The same step for an OCR-heavy volume, sized by NP_OCR_VOLUME_STEP_CPU/MEMORY (its tags replace the
# ordinary size); its config sits under `export_volume_ocr`, beside `export_volume`'s.
export_volume_ocr = export_volume.tag(
    volume_step_tags(_SETTINGS.ocr_volume_step_cpu, _SETTINGS.ocr_volume_step_memory)
).alias("export_volume_ocr")


@dg.op(description="Every volume is produced.")
def export_volumes_done(
    context: dg.OpExecutionContext, summaries: list[dict], ocr_summaries: list[dict]
) -> dict:
    summaries = sorted(summaries + ocr_summaries, key=lambda s: str(s.get("volume")))
    pages = sum(s.get("pages", 0) for s in summaries)
    context.add_output_metadata(
        {
            "volumes": len(summaries),
            "pages_produced_now": pages,
            "summaries": dg.MetadataValue.json(summaries),
        }
    )
    return {"volumes": len(summaries)}


@dg.graph_asset(
    partitions_def=exports_partitions,
    group_name="productions",
    kinds={"tiff", "pdf"},
    owners=["team:productions"],
    ins={"export_manifest": dg.AssetIn(dagster_type=dg.Nothing)},
    description="Every volume's images, texts and natives, produced in parallel steps.",
)
def export_volumes(export_manifest):
    volumes, ocr_volumes = export_volume_fanout(export_manifest)
    return export_volumes_done(
        volumes.map(export_volume).collect(), ocr_volumes.map(export_volume_ocr).collect()
    )
