"""Secrets come from the environment or AWS Secrets Manager, never from code or config."""

from __future__ import annotations

import os

from domain.errors import SettingsError


def read_secret(env_name: str, *, required: bool = True) -> str | None:
    """The secret named by `env_name`.

    `NAME` holds the value itself; `NAME_SECRET_ID` names a Secrets Manager secret
    whose string is the value (fetched on use, so a rotated secret is picked up
    by the next connection).
    """
    value = os.environ.get(env_name)
    if value:
        return value
    secret_id = os.environ.get(f"{env_name}_SECRET_ID")
    if secret_id:
        import boto3

        return boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    if required:
        raise SettingsError(f"The secret {env_name} is not set (set {env_name} or {env_name}_SECRET_ID).")
    return None
