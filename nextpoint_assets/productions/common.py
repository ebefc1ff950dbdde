"""Shared by the production assets: partition keys, work files in the object store."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from domain.errors import PermanentError
from domain.keys import validate_case_id
from domain.productions.loadfiles import ProducedDocument
from domain.productions.manifest import ValidatedManifest
from domain.productions.paths import ExportPaths
from domain.productions.plan import Plan
from nextpoint_assets.partitions import exports_partitions
from resources.backend_api import BackendApi, export_callback_body
from resources.event_bus import make_event
from resources.object_store import CaseStore


def production_asset(**kwargs: Any):
    """@dg.asset with what every production asset shares: export partitions, group, owner, retries."""
    from nextpoint_assets.errors import RETRY_POLICY

    return dg.asset(
        partitions_def=exports_partitions,
        group_name="productions",
        owners=["team:productions"],
        retry_policy=RETRY_POLICY,
        **kwargs,
    )


@contextlib.contextmanager
def export_step(context, object_store) -> Iterator[tuple[int, int, CaseStore]]:
    """(case id, export id, case store) of the running partition, with log context and typed errors."""
    from domain.log import log_context
    from nextpoint_assets.errors import dagster_errors

    case_id, export_id = parse_export_key(context.partition_key)
    with (
        log_context(case_id=case_id, export_id=export_id, run_id=context.run.run_id),
        dagster_errors(context),
    ):
        yield case_id, export_id, object_store.case(case_id)


_KEY = re.compile(r"^(\d{1,12})-(\d{1,12})$")


def parse_export_key(key: str) -> tuple[int, int]:
    match = _KEY.match(key or "")
    if not match:
        raise PermanentError("An export partition key must look like '{case_id}-{export_id}'.", key=key)
    return validate_case_id(match[1]), validate_case_id(match[2])


def put_json(store: CaseStore, key: str, data: Any) -> str:
    """Sorted, indented JSON, encoded piece by piece into a temp file: a large work file (a volume's
    result, the plan of a 100,000-page production) is never a whole string in memory, nor twice as
    text and bytes."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", prefix="np-json-", suffix=".json") as handle:
        json.dump(data, handle, ensure_ascii=False, sort_keys=True, indent=1)
        handle.flush()
        return store.put_file(key, Path(handle.name), "application/json")


def get_json(store: CaseStore, key: str) -> Any:
    return json.loads(store.get_bytes(key))


class ExportState:
    """The validated manifest and plan of one export, read back from its work files."""

    def __init__(self, store: CaseStore, export_id: int) -> None:
        self.store = store
        self.paths = ExportPaths(export_id)
        self.manifest = ValidatedManifest.from_json(get_json(store, self.paths.manifest_json))
        plan_bytes = store.get_bytes(self.paths.plan_json)
        self.plan = Plan.from_json(self.manifest.export, json.loads(plan_bytes))
        # Identifies the plan a volume result was produced for (a result of another plan is stale).
        self.plan_digest = hashlib.sha256(plan_bytes).hexdigest()
        self._volume_results: dict[int, dict[str, Any]] | None = None

    @property
    def production_prefix(self) -> str:
        return self.paths.production(self.manifest.export.safe_name)

    def volume_results(self) -> dict[int, dict[str, Any]]:
        """Every volume's result file, read once per state."""
        if self._volume_results is None:
            self._volume_results = {
                volume: get_json(
                    self.store, self.paths.volume_json(self.plan.volume_documents(volume)[0].volume_label)
                )
                for volume in self.plan.volumes
            }
        return self._volume_results

    def produced(self) -> dict[int, ProducedDocument]:
        produced: dict[int, ProducedDocument] = {}
        for result in self.volume_results().values():
            for doc in result["documents"]:
                produced[doc["exhibit_id"]] = ProducedDocument.from_json(doc)
        return produced


def download_prefix(store: CaseStore, prefix: str, target: Path) -> list[Path]:
    """Copy every object under a relative prefix to target/, keeping the relative layout."""
    written = []
    for relative in store.list(prefix):
        local = target / relative[len(prefix) :]
        store.download(relative, local)
        written.append(local)
    return written


def announce_export_failed(
    bus, api: BackendApi | None, case_id: int, export_id: int, event_id: str, message: str
) -> None:
    """EXPORT_FAILED on the bus and the failed callback to the backend (when one is configured)."""
    bus.publish(
        make_event(
            "EXPORT_FAILED",
            case_id,
            event_id=event_id,
            export_id=export_id,
            page_count=0,
            archive_keys=[],
            error=message,
        )
    )
    if api is not None:
        api.post_export_callback(
            export_id, export_callback_body(export_id, case_id, "failed", 0, [], message)
        )
