"""Every report type of events.md, by name."""

from __future__ import annotations

from domain.reports import (
    coding_overlay,
    custom,
    deposition_summary,
    grid_data,
    page_count,
    privilege_log,
    review_log,
    transcript_metadata,
    user_activity,
)
from domain.reports.request import REPORT_TYPES
from domain.reports.spec import ReportSpec

REPORTS: dict[str, ReportSpec] = {
    spec.report_type: spec
    for spec in (
        custom.SPEC,
        user_activity.SPEC,
        transcript_metadata.SPEC,
        deposition_summary.SPEC,
        page_count.SPEC,
        review_log.SPEC,
        privilege_log.SPEC,
        coding_overlay.SPEC,
        grid_data.SPEC,
    )
}
assert tuple(REPORTS) == REPORT_TYPES
