"""How a platform setting is declared: once, as a field of the resource that uses it.

`setting("NP_NAME", default, "meaning")` declares a resource field fed by the environment
variable `NP_NAME`. When that variable is set, `PlatformResource.from_settings(..., env_vars=True)`
(resources/dagster_resources.py, what the Definitions bind) hands Dagster `dg.EnvVar("NP_NAME")`,
so the UI shows which variable feeds the value and Dagster reads it when a run or sensor tick
starts; otherwise the field gets the environment preset's value (`resources/presets.py`) or its
default. `resources.settings.Settings` is a flat, read-only view of the same fields for code that
runs outside Dagster; it declares none. This module imports no Dagster (the layer contract keeps
Dagster in resources/dagster_resources.py).

A secret is declared with `resources.secrets.secret` (beside `secret_id`, its Secrets Manager id):
it is only ever handed to Dagster as `dg.EnvVar`, never as a value, and `repr()` hides it.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from pydantic import Field
from pydantic.fields import FieldInfo

ENV = "np_env"  # json_schema_extra key: the variable that feeds a field
FROM = "np_from"  # json_schema_extra key: the Settings attribute a derived field is read from

# Dagster reads an EnvVar into str, int and bool fields only (a float or choice field has no env source).
_ENV_TYPES = (str, int, bool)


def setting(env: str, default: Any, description: str, *, choices: tuple[str, ...] = (), **limits: Any) -> Any:
    """A field fed by the environment variable `env`; `choices` become a pattern (Dagster's enum
    config cannot take an EnvVar), `limits` are pydantic's (ge, le, pattern)."""
    if choices:
        limits["pattern"] = "^(" + "|".join(re.escape(c) for c in choices) + ")$"
        description = f"{description} ({' or '.join(choices)})"
    return Field(
        default=default, description=f"{description}. [{env}]", json_schema_extra={ENV: env}, **limits
    )


def derived(attribute: str, description: str) -> Any:
    """A field computed from another setting (a folder under NP_HOME), read from `Settings.<attribute>`."""
    return Field(default="", description=description, json_schema_extra={FROM: attribute})


def env_name(info: FieldInfo) -> str | None:
    extra = info.json_schema_extra
    return extra.get(ENV) if isinstance(extra, dict) else None  # type: ignore[return-value]


def flat_name(env: str) -> str:
    """`NP_DB_HOST` -> `db_host`: the attribute of `Settings` (and the variable) of a field."""
    return env[3:].lower()


def takes_env_var(info: FieldInfo) -> bool:
    """Whether Dagster can read an EnvVar into this field (str, int, bool; not float or a choice)."""
    types = [t for t in (get_args(info.annotation) or (info.annotation,)) if t is not type(None)]
    return all(t in _ENV_TYPES for t in types)
