"""export_completion: the outcome event and the signed backend callback, once QC has passed."""

import hashlib
from dataclasses import asdict

import dagster as dg

from domain.errors import PermanentError
from nextpoint_assets.productions.common import ExportState, export_step, production_asset, put_json
from nextpoint_assets.productions.package import archive_keys
from resources.backend_api import export_callback_body
from resources.dagster_resources import BackendApiResource, EventBusResource, ObjectStoreResource
from resources.event_bus import make_event


def export_summary(state: ExportState) -> dict:
    """Counts and every problem (manifest, planning and volumes), each named by exhibit."""
    problems = [asdict(p) for p in state.plan.problems]
    seen = {(p["exhibit_id"], p["code"], p["message"]) for p in problems}
    for result in state.volume_results().values():
        for p in result["problems"]:
            if (p["exhibit_id"], p["code"], p["message"]) not in seen:
                problems.append(p)
                seen.add((p["exhibit_id"], p["code"], p["message"]))
    documents = state.plan.documents
    return {
        "documents": len(documents),
        "pages": state.plan.page_total,
        "volumes": [state.plan.volume_documents(v)[0].volume_label for v in state.plan.volumes],
        "first_page": documents[0].begin if documents else "",
        "last_page": documents[-1].end if documents else "",
        "problems": problems,
        "errors": [p for p in problems if p["severity"] == "error"],
    }


@production_asset(
    deps=["export_archive"],
    kinds={"aws"},
    description="EXPORT_COMPLETED with page counts and archive keys, and the signed backend callback.",
)
def export_completion(
    context: dg.AssetExecutionContext,
    object_store: ObjectStoreResource,
    event_bus: EventBusResource,
    backend_api: BackendApiResource,
) -> dg.MaterializeResult:
    with export_step(context, object_store) as (case_id, export_id, store):
        state = ExportState(store, export_id)
        summary = export_summary(state)
        keys = archive_keys(store, state)
        put_json(store, state.paths.summary_json, summary)
        error = None
        if summary["errors"]:
            error = (
                f"{len({p['exhibit_id'] for p in summary['errors']})} document(s) could not be produced; "
                f"see {store.prefix}{state.paths.base}/error_logs/"
            )
        if state.manifest.export.require_complete and summary["errors"]:
            # The run fails; export_failure_sensor announces EXPORT_FAILED with this message.
            raise PermanentError(f"The production must be complete, but {error}")
        # The same finished production always announces itself with the same event id.
        digest = hashlib.sha256(store.get_bytes(state.paths.volumes_json)).hexdigest()[:16]
        event = make_event(
            "EXPORT_COMPLETED",
            case_id,
            event_id=f"export_completed-{case_id}-{export_id}-{digest}",
            export_id=export_id,
            page_count=summary["pages"],
            archive_keys=keys,
            error=error,
        )
        event_bus.bus().publish(event)
        api = backend_api.api()
        if api is not None:
            api.post_export_callback(
                export_id, export_callback_body(export_id, case_id, "complete", summary["pages"], keys, error)
            )
        return dg.MaterializeResult(
            metadata={
                "pages": summary["pages"],
                "documents": summary["documents"],
                "volumes": dg.MetadataValue.json(summary["volumes"]),
                "bates_range": f"{summary['first_page']} - {summary['last_page']}",
                "documents_with_errors": len({p["exhibit_id"] for p in summary["errors"]}),
                "archive_keys": dg.MetadataValue.json(keys),
                "event_id": event["event_id"],
            }
        )
