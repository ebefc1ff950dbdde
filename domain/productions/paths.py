"""Where an export's inputs, work files and outputs live, relative to its case prefix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportPaths:
    export_id: int

    @property
    def base(self) -> str:
        return f"exports/export_{self.export_id}"

    @property
    def manifest_zip(self) -> str:
        return f"{self.base}/manifest.zip"

    @property
    def manifest_json(self) -> str:
        return f"{self.base}/work/manifest.json"

    @property
    def plan_json(self) -> str:
        return f"{self.base}/work/plan.json"

    def volume_json(self, label: str) -> str:
        return f"{self.base}/work/volumes/{label}.json"

    def leak_key(self, key_id: str) -> str:
        """The key of a volume run's leak-profile hashes, apart from the hashes it keys."""
        return f"{self.base}/work/leak_keys/{key_id}.key"

    def error_log(self, label: str) -> str:
        return f"{self.base}/error_logs/{label}.txt"

    def production(self, name: str) -> str:
        """Prefix of the unpacked production folder {NAME}/."""
        return f"{self.base}/production/{name}/"

    @property
    def zips(self) -> str:
        return f"{self.base}/zips/"

    @property
    def volumes_json(self) -> str:
        return f"{self.base}/volumes.json"

    @property
    def archive_test_json(self) -> str:
        """What the archive step's one 7-Zip test and listing said, with each part's SHA-256 (for QC)."""
        return f"{self.base}/work/archive_test.json"

    @property
    def qc_json(self) -> str:
        return f"{self.base}/work/qc.json"

    @property
    def summary_json(self) -> str:
        return f"{self.base}/work/summary.json"
