"""A production's assets and checks, in graph order: the one list the Definitions, the tests and
the benchmarks load (each asset lives in the module named for its step)."""

from nextpoint_assets.productions.checks import export_quality_checks
from nextpoint_assets.productions.completion import export_completion
from nextpoint_assets.productions.manifest_asset import export_manifest
from nextpoint_assets.productions.package import export_archive, export_expansive_pdf, export_load_files
from nextpoint_assets.productions.pii import export_pii_gate, export_pii_scan
from nextpoint_assets.productions.volumes import export_volumes

PRODUCTION_ASSETS = [
    export_manifest,
    export_volumes,
    export_load_files,
    export_expansive_pdf,
    export_pii_scan,
    export_archive,
    export_completion,
]
PRODUCTION_CHECKS = [export_quality_checks, export_pii_gate]
