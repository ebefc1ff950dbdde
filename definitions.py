"""The platform's one `Definitions`: every asset, check, job, sensor and resource.

Resources are built from NP_* settings, validated here at load time so a bad
setting stops the code location with a message that names it; a variable that
is set reaches Dagster as `dg.EnvVar` (resources/dagster_resources.py), so the
UI shows which variable feeds each value.
"""

from __future__ import annotations

import dagster as dg

from domain.log import configure_logging
from jobs.cases import housekeeping_case_partitions_job, register_cases_job
from jobs.exchanges import exchange_job
from jobs.executor import platform_executor
from jobs.housekeeping import HOUSEKEEPING_JOBS
from jobs.pii import pii_decision_job, pii_findings_report_job, pii_rejection_job
from jobs.productions import production_job
from jobs.renditions import html_renditions_job
from jobs.reports import REPORT_JOBS, account_user_activity_job
from jobs.stamps import stamp_job
from nextpoint_assets.case_partitions import case_partitions
from nextpoint_assets.code_references import linked_to_code
from nextpoint_assets.exchanges.assets import EXCHANGE_ASSETS
from nextpoint_assets.exchanges.pii import exchange_pii_gate, exchange_pii_scan
from nextpoint_assets.productions.assets import PRODUCTION_ASSETS, PRODUCTION_CHECKS
from nextpoint_assets.renditions.assets import html_renditions
from nextpoint_assets.renditions.pii import html_rendition_pii_gate, html_rendition_pii_scan
from nextpoint_assets.reports.account_activity import account_user_activity_report
from nextpoint_assets.reports.assets import REPORT_ASSETS
from nextpoint_assets.stamps.assets import stamped_page_set
from resources.dagster_resources import build_resources
from resources.settings import get_settings
from sensors.case_registry import case_partitions_sensor, case_registry_sensor
from sensors.exchange_outcomes import exchange_failure_sensor
from sensors.housekeeping import HOUSEKEEPING_SCHEDULES
from sensors.manifest_uploads import manifest_upload_sensor
from sensors.pii_review import pii_review_sensor
from sensors.production_outcomes import export_failure_sensor
from sensors.report_schedules import REPORT_SCHEDULES
from sensors.request_outcomes import request_failure_sensor
from sensors.requests import request_sensor

settings = get_settings()
configure_logging(settings.log_format, settings.log_level)

defs = dg.Definitions(
    assets=linked_to_code(
        [
            *REPORT_ASSETS.values(),
            account_user_activity_report,
            *PRODUCTION_ASSETS,
            stamped_page_set,
            *EXCHANGE_ASSETS,
            exchange_pii_scan,
            html_rendition_pii_scan,
            html_renditions,
            case_partitions,
        ]
    ),
    asset_checks=[*PRODUCTION_CHECKS, exchange_pii_gate, html_rendition_pii_gate],
    jobs=[
        register_cases_job,
        housekeeping_case_partitions_job,
        *REPORT_JOBS.values(),
        account_user_activity_job,
        production_job,
        stamp_job,
        exchange_job,
        *HOUSEKEEPING_JOBS,
        pii_decision_job,
        pii_rejection_job,
        pii_findings_report_job,
        html_renditions_job,
    ],
    schedules=[*REPORT_SCHEDULES, *HOUSEKEEPING_SCHEDULES],
    sensors=[
        case_registry_sensor,
        case_partitions_sensor,
        request_sensor,
        manifest_upload_sensor,
        export_failure_sensor,
        exchange_failure_sensor,
        request_failure_sensor,
        pii_review_sensor,
    ],
    resources=build_resources(settings),
    executor=platform_executor(settings.executor),
)
