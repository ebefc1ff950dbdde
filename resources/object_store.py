"""The object store: what every adapter offers (`ObjectStore`), one case's view of it (`CaseStore`),
and the adapter the settings choose (`build_object_store`): a local folder (embedded default,
resources/local_object_store.py) or S3 (resources/s3_object_store.py).

Work hands over keys, never local paths, so any step can run on any machine.
`CaseStore` confines a case's work to its `case_{id}/` prefix: a key that
escapes it is refused before any I/O happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from domain.keys import case_key, case_prefix, clean_relative_key, relative_to_case


@dataclass(frozen=True)
class ObjectInfo:
    """What a listing or HEAD tells of one object. `version` changes whenever the bytes are replaced
    (the S3 ETag; size and modification time locally)."""

    key: str
    size: int
    modified: datetime
    version: str


class ObjectStore(Protocol):
    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None: ...
    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def download(self, key: str, path: Path) -> Path: ...
    def exists(self, key: str) -> bool: ...
    def sha256(self, key: str) -> str: ...
    def size(self, key: str) -> int: ...
    def list_keys(self, prefix: str) -> Iterator[str]: ...
    def delete(self, key: str) -> None: ...
    def copy(self, source_key: str, dest_key: str) -> None: ...
    def link(self, key: str, expires_seconds: int) -> str: ...
    def head(self, key: str) -> ObjectInfo | None: ...
    def list_folders(self, prefix: str) -> Iterator[str]: ...


def check_full_key(key: str) -> str:
    """A store-wide key (`case_{id}/...`), checked like any relative key before any I/O."""
    return clean_relative_key(key)


class CaseStore:
    """One case's view of the object store: every key is relative to case_{id}/."""

    def __init__(self, store: ObjectStore, case_id: int) -> None:
        self.store = store
        self.case_id = case_id
        self.prefix = case_prefix(case_id)

    def key(self, relative: str) -> str:
        return case_key(self.case_id, relative)

    def relative(self, full_key: str) -> str:
        return relative_to_case(self.case_id, full_key)

    def put_bytes(self, relative: str, data: bytes, content_type: str | None = None) -> str:
        key = self.key(relative)
        self.store.put_bytes(key, data, content_type)
        return key

    def put_file(self, relative: str, path: Path, content_type: str | None = None) -> str:
        key = self.key(relative)
        self.store.put_file(key, path, content_type)
        return key

    def move_file(self, relative: str, path: Path, content_type: str | None = None) -> str:
        key = self.key(relative)
        self.store.move_file(key, path, content_type)
        return key

    def scratch_dir(self) -> Path | None:
        scratch = getattr(self.store, "scratch_dir", None)
        return scratch() if scratch else None

    def readable_path(self, relative: str) -> Path | None:
        """The object's file when the store is a local folder (read in place), else None."""
        readable = getattr(self.store, "readable_path", None)
        return readable(self.key(relative)) if readable else None

    def get_bytes(self, relative: str) -> bytes:
        return self.store.get_bytes(self.key(relative))

    def download(self, relative: str, path: Path) -> Path:
        return self.store.download(self.key(relative), path)

    def exists(self, relative: str) -> bool:
        return self.store.exists(self.key(relative))

    def size(self, relative: str) -> int:
        return self.store.size(self.key(relative))

    def sha256(self, relative: str) -> str:
        """The object's SHA-256 (hex): hashed in place locally, streamed from S3 (no local copy)."""
        return self.store.sha256(self.key(relative))

    def readable_folder(self, relative_prefix: str) -> Path | None:
        """The folder holding every object under a prefix when the store is a local folder (read in
        place), else None."""
        local_path = getattr(self.store, "local_path", None)
        return local_path(self.key(relative_prefix.rstrip("/"))) if local_path else None

    def list(self, relative_prefix: str = "") -> Iterator[str]:
        """Relative keys under a relative prefix of this case."""
        if relative_prefix:
            clean_relative_key(relative_prefix.rstrip("/"))
        for key in self.store.list_keys(self.prefix + relative_prefix):
            yield key[len(self.prefix) :]

    def delete(self, relative: str) -> None:
        self.store.delete(self.key(relative))

    def copy_within(self, source_relative: str, dest_relative: str) -> None:
        self.store.copy(self.key(source_relative), self.key(dest_relative))

    def copy_to(self, other: CaseStore, source_relative: str, dest_relative: str) -> None:
        """Copy one of this case's objects into another case (an exchange between exactly these two):
        server-side on S3. Both keys are confined to their own case's prefix."""
        self.store.copy(self.key(source_relative), other.key(dest_relative))

    def link(self, relative: str, expires_seconds: int) -> str:
        return self.store.link(self.key(relative), expires_seconds)


def open_object_store(
    backend: str, root: Path, bucket: str | None, region: str, endpoint_url: str | None = None
) -> ObjectStore:
    """The object store `backend` names: the one switch, for the resource and for plain code."""
    # The adapters import this module (ObjectInfo, check_full_key): imported here, not at the top.
    if backend == "s3":
        import boto3

        from resources.s3_object_store import S3ObjectStore

        client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        return S3ObjectStore(bucket, client)
    from resources.local_object_store import LocalObjectStore

    return LocalObjectStore(root)


def build_object_store(settings) -> ObjectStore:
    """The object store the settings choose."""
    return open_object_store(
        settings.object_store,
        settings.object_store_root,
        settings.s3_bucket,
        settings.aws_region,
        settings.s3_endpoint_url,
    )
