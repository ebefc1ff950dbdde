"""Secrets: fields fed only by the environment, and the small object adapters read them through.

A secret is declared like any setting, as a field of the resource that uses it
(`secret("NP_DB_PASSWORD", ...)`), next to a plain setting `secret_id("NP_DB_PASSWORD", ...)` fed
by `NP_DB_PASSWORD_SECRET_ID` (an id is not a secret). The Definitions give both to Dagster as
`dg.EnvVar` (resources/dagster_resources.py), so neither code, defaults, run config nor the
Definitions' snapshot ever holds a value. Adapters get a `Secret`: the value if the variable
held one, else the Secrets Manager secret, fetched on each `get()` so a rotated secret is
picked up by the next connection. Neither `repr()` nor `str()` of a `Secret` shows its value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from domain.errors import SettingsError
from resources.config import ENV, flat_name, setting

SECRET = "np_secret"  # json_schema_extra key: the field holds a secret's value


def secret(env: str, description: str) -> Any:
    """A field holding the secret the variable `env` gives: no default, never shown by `repr()`;
    its Secrets Manager id is a `secret_id(env, ...)` field of the same resource."""
    return Field(
        default=None,
        repr=False,
        description=f"{description}, never shown; or its Secrets Manager id in {secret_id_env(env)}. [{env}]",
        json_schema_extra={ENV: env, SECRET: True},
    )


def secret_id(env: str, what: str) -> Any:
    """The setting beside the secret fed by `env`: the id of the Secrets Manager secret holding it,
    fed by `<env>_SECRET_ID` (an id, not a secret: shown like any setting)."""
    return setting(secret_id_env(env), None, f"Secrets Manager id of {what}, fetched on each use")


def secret_id_env(env: str) -> str:
    """`NP_DB_PASSWORD` -> `NP_DB_PASSWORD_SECRET_ID`: the variable naming a secret's Secrets Manager id."""
    return f"{env}_SECRET_ID"


def is_secret(info: Any) -> bool:
    """Whether a pydantic field was declared with `secret`."""
    extra = info.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get(SECRET))


@dataclass(frozen=True)
class Secret:
    """A secret as an adapter holds it. `name` is the variable that feeds it (for messages and
    for the Spark hand-off, which passes names and ids, never values)."""

    name: str
    value: str | None = field(default=None, repr=False)
    secret_id: str | None = None

    def get(self) -> str:
        """The secret; a SettingsError naming both variables when neither is set."""
        value = self.get_if_set()
        if value is None:
            raise SettingsError(
                f"The secret {self.name} is not set (set {self.name} or {secret_id_env(self.name)})."
            )
        return value

    def get_if_set(self) -> str | None:
        """The value, or the Secrets Manager secret's string (fetched now: rotation needs no restart)."""
        if self.value:
            return self.value
        if self.secret_id:
            import boto3

            return boto3.client("secretsmanager").get_secret_value(SecretId=self.secret_id)["SecretString"]
        return None

    def __str__(self) -> str:
        return repr(self)


def secret_from_settings(settings: Any, env: str) -> Secret:
    """The secret fed by `env` as the flat `Settings` view holds it (code outside a run)."""
    return Secret(env, getattr(settings, flat_name(env)), getattr(settings, flat_name(secret_id_env(env))))
