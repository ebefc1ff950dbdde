"""Whether held work may go on: the latest PII scan of an export or exchange, and its decision."""

import dagster as dg
from sqlalchemy import Engine

from domain.errors import PermanentError
from domain.pii.review import AWAITING, cleared, hold_message
from nextpoint_assets.pii.records import latest_scan
from resources.dagster_resources import DatabaseResource


def clearance(platform: Engine, partition_key: str) -> tuple[bool, str, dict | None]:
    """(may the held work go on, why, the scan) for an export or exchange partition."""
    scan = latest_scan(platform, partition_key)
    if scan is None:
        return False, "No PII scan is recorded for this work; materialize its scan first.", None
    return (*verdict(scan), scan)


def verdict(scan: dict) -> tuple[bool, str]:
    """(may the work a scan holds go on, why) from the scan's row."""
    if cleared(scan["status"]):
        return True, "cleared"
    return False, hold_message(scan["status"], scan["findings"], scan["scan_id"], scan["deadline"])


def require_clearance(databases: DatabaseResource, partition_key: str) -> None:
    """Raise unless the PII review lets this work go on. The held assets call it themselves: a run that
    selects them without the gate (the one started after an approval) is still held."""
    ok, why, _ = clearance(databases.databases().platform(), partition_key)
    if not ok:
        raise PermanentError(why)


def gate_result(databases: DatabaseResource, partition_key: str) -> dg.AssetCheckResult:
    """The blocking gate check's result: passed when the scan is clean or approved."""
    ok, why, scan = clearance(databases.databases().platform(), partition_key)
    metadata: dict = {"checked": partition_key}
    if scan is not None:
        metadata = {
            **metadata,
            "scan_id": scan["scan_id"],
            "status": scan["status"],
            # the scan's figures: what was read, and what scored at or above the threshold
            "documents_scanned": scan["documents"],
            "pages_scanned": scan["pages"],
            "threshold": scan["threshold"],
            "findings": scan["findings"],
            "counts": dg.MetadataValue.json(scan["counts"]),
        }
        if scan["status"] == AWAITING and scan["deadline"]:
            metadata["deadline"] = str(scan["deadline"])
        if scan.get("decided_by"):
            metadata["decided_by"] = scan["decided_by"]
    return dg.AssetCheckResult(
        passed=ok, severity=dg.AssetCheckSeverity.ERROR, description=why, metadata=metadata
    )
