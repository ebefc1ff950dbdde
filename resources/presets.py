"""Environment presets: the values an environment starts from, as data.

`NP_ENVIRONMENT` picks one (`local`, the default, is the laptop: every resource's embedded
default). Keys are resource keys of `resources.dagster_resources.RESOURCE_CLASSES` with their
field names, and `settings` for `resources.settings.Knobs`. A variable that is set always wins
over the preset, so a deployment that sets every `NP_*` variable itself is unchanged. The
production preset holds only what every production deployment sets anyway (deploy/dagster.yaml);
addresses (bucket, hosts, topic) stay variables.
"""

from __future__ import annotations

from typing import Any

Preset = dict[str, dict[str, Any]]

LAPTOP: Preset = {}

PRODUCTION: Preset = {
    "object_store": {"backend": "s3"},
    "databases": {"backend": "mysql"},
    "event_bus": {"backend": "sns"},
    "mailer": {"backend": "smtp"},
    "settings": {"log_format": "json"},
}

PRESETS: dict[str, Preset] = {"local": LAPTOP, "staging": PRODUCTION, "production": PRODUCTION}
