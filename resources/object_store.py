"""Object store adapters: a local folder (embedded default) and S3.

Work hands over keys, never local paths, so any step can run on any machine.
`CaseStore` confines a case's work to its `case_{id}/` prefix: a key that
escapes it is refused before any I/O happens.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from domain.errors import InvalidKeyError, ObjectNotFound, RetryableError
from domain.keys import case_key, case_prefix, clean_relative_key, relative_to_case
from resources.resilience import guard


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
    def size(self, key: str) -> int: ...
    def list_keys(self, prefix: str) -> Iterator[str]: ...
    def delete(self, key: str) -> None: ...
    def copy(self, source_key: str, dest_key: str) -> None: ...
    def link(self, key: str, expires_seconds: int) -> str: ...
    def head(self, key: str) -> ObjectInfo | None: ...
    def list_folders(self, prefix: str) -> Iterator[str]: ...


def _check_full_key(key: str) -> str:
    return clean_relative_key(key)


class LocalObjectStore:
    """Objects as files under one root folder; writes are atomic (temp file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / _check_full_key(key)).resolve()
        if self.root not in path.parents:
            raise InvalidKeyError("An object key escapes the object store.", key=key)
        return path

    def _atomic_write(self, key: str, write) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The temp file lives in the store's scratch folder (same disk: the rename is atomic), not beside
        # its target: a process killed mid-write leaves nothing among the objects, only scratch that
        # housekeeping clears.
        fd, tmp = tempfile.mkstemp(dir=self.scratch_dir(), prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        self._atomic_write(key, lambda handle: handle.write(data))

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        def write(handle):
            with open(path, "rb") as source:
                shutil.copyfileobj(source, handle, 1024 * 1024)

        self._atomic_write(key, write)

    def move_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        """put_file for a file the caller no longer needs: a rename when it is on the store's disk."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, target)
        except OSError:  # another filesystem: copy atomically, then drop the original
            self.put_file(key, path, content_type)
            Path(path).unlink(missing_ok=True)

    def scratch_dir(self) -> Path:
        """Scratch space on the store's own disk, so finished files are renamed in, not copied."""
        path = self.root / ".scratch"
        path.mkdir(exist_ok=True)
        return path

    def readable_path(self, key: str) -> Path:
        """The object's own file, to read in place instead of downloading a copy."""
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key=key)
        return path

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise ObjectNotFound(key=key) from None

    def download(self, key: str, path: Path) -> Path:
        source = self._path(key)
        if not source.is_file():
            raise ObjectNotFound(key=key)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        return path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(key=key) from None

    def list_keys(self, prefix: str) -> Iterator[str]:
        base = self.root / prefix.rstrip("/") if prefix else self.root
        search = base if base.is_dir() else base.parent
        if not search.exists():
            return
        for path in sorted(search.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def copy(self, source_key: str, dest_key: str) -> None:
        source = self._path(source_key)
        if not source.is_file():
            raise ObjectNotFound(key=source_key)
        self.put_file(dest_key, source)

    def link(self, key: str, expires_seconds: int) -> str:
        return self._path(key).as_uri()

    def head(self, key: str) -> ObjectInfo | None:
        try:
            stat = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        return ObjectInfo(key, stat.st_size, modified, f"{stat.st_mtime_ns:x}-{stat.st_size:x}")

    def list_folders(self, prefix: str) -> Iterator[str]:
        """The immediate sub-folders of `prefix` (which ends with '/'), as key prefixes ending with '/'."""
        base = self.root / prefix if prefix else self.root
        if not base.is_dir():
            return
        for entry in sorted(os.scandir(base), key=lambda e: e.name):
            if entry.is_dir() and not entry.name.startswith("."):
                yield f"{prefix}{entry.name}/"

    def local_path(self, key: str) -> Path:
        """Where a key lives on disk (embedded default only: for showing people their files)."""
        return self._path(key)

    # Housekeeping (jobs/housekeeping.py): listings with ages, temp leftovers, bulk deletes.

    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        """`list_keys` with each object's size and modification time."""
        for key in self.list_keys(prefix):
            info = self._info(key, self.root / key)
            if info is not None:
                yield info

    def list_temp_objects(self) -> Iterator[ObjectInfo]:
        """Temp files of atomic writes left beside their target by a killed process (writes of earlier
        versions; temp files now go to `.scratch/`, which housekeeping clears as scratch)."""
        for folder, dirs, files in os.walk(self.root):
            if Path(folder) == self.root:
                dirs[:] = [d for d in dirs if d != ".scratch"]  # scratch space is not objects
            dirs.sort()
            for name in sorted(files):
                if name.startswith(".tmp-") and name.endswith(".part"):
                    path = Path(folder) / name
                    info = self._info(path.relative_to(self.root).as_posix(), path)
                    if info is not None:
                        yield info

    def _info(self, key: str, path: Path) -> ObjectInfo | None:
        try:
            stat = path.stat()
        except FileNotFoundError:  # gone since it was listed
            return None
        return ObjectInfo(
            key,
            stat.st_size,
            datetime.fromtimestamp(stat.st_mtime, UTC),
            f"{stat.st_mtime_ns:x}-{stat.st_size:x}",
        )

    def delete_many(self, keys) -> list[str]:
        """Delete every key; returns the keys that could not be deleted."""
        failed: list[str] = []
        for key in keys:
            try:
                self.delete(key)
            except OSError:
                failed.append(key)
        return failed


class S3ObjectStore:
    """Objects in one S3 bucket, with case prefixes as the tenancy boundary."""

    def __init__(self, bucket: str, client) -> None:
        self.bucket = bucket
        self.client = client

    def _call(self, fn, key: str, **kwargs):
        """One S3 call through the object store's circuit breaker, retried with backoff when retryable."""
        return guard("object_store").call(self._call_once, fn, key, **kwargs)

    def _call_once(self, fn, key: str, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise ObjectNotFound(key=key) from None
            if code in ("SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling"):
                raise RetryableError("The object store is busy; the work will be retried.", key=key) from exc
            raise
        except BotoCoreError as exc:
            raise RetryableError(
                "The object store could not be reached; the work will be retried.", key=key
            ) from exc

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self._call(
            self.client.put_object, key, Bucket=self.bucket, Key=_check_full_key(key), Body=data, **extra
        )

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        extra = {"ExtraArgs": {"ContentType": content_type}} if content_type else {}
        self._call(
            self.client.upload_file,
            key,
            Filename=str(path),
            Bucket=self.bucket,
            Key=_check_full_key(key),
            **extra,
        )

    def move_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        self.put_file(key, path, content_type)
        Path(path).unlink(missing_ok=True)

    def get_bytes(self, key: str) -> bytes:
        response = self._call(self.client.get_object, key, Bucket=self.bucket, Key=_check_full_key(key))
        return response["Body"].read()

    def download(self, key: str, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._call(
            self.client.download_file, key, Bucket=self.bucket, Key=_check_full_key(key), Filename=str(path)
        )
        return path

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectNotFound:
            return False
        return True

    def size(self, key: str) -> int:
        head = self._call(self.client.head_object, key, Bucket=self.bucket, Key=_check_full_key(key))
        return int(head["ContentLength"])

    def list_keys(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def head(self, key: str) -> ObjectInfo | None:
        try:
            head = self._call(self.client.head_object, key, Bucket=self.bucket, Key=_check_full_key(key))
        except ObjectNotFound:
            return None
        return ObjectInfo(key, int(head["ContentLength"]), head["LastModified"], head["ETag"].strip('"'))

    def list_folders(self, prefix: str) -> Iterator[str]:
        """The immediate 'sub-folders' of `prefix` (common prefixes under a '/' delimiter)."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            for item in page.get("CommonPrefixes", []):
                yield item["Prefix"]

    def delete(self, key: str) -> None:
        self._call(self.client.delete_object, key, Bucket=self.bucket, Key=_check_full_key(key))

    def copy(self, source_key: str, dest_key: str) -> None:
        # Server-side copy: the bytes never pass through this process.
        self._call(
            self.client.copy,
            source_key,
            CopySource={"Bucket": self.bucket, "Key": _check_full_key(source_key)},
            Bucket=self.bucket,
            Key=_check_full_key(dest_key),
        )

    def link(self, key: str, expires_seconds: int) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": _check_full_key(key)},
            ExpiresIn=expires_seconds,
        )

    # Housekeeping (jobs/housekeeping.py): listings with ages, unfinished uploads, bulk deletes.

    def list_objects(self, prefix: str) -> Iterator[ObjectInfo]:
        """`list_keys` with each object's size, last-modified time and ETag."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield ObjectInfo(
                    item["Key"], int(item["Size"]), item["LastModified"], item.get("ETag", "").strip('"')
                )

    def list_multipart_uploads(self, prefix: str = "") -> Iterator[tuple[str, str, datetime]]:
        """Multipart uploads begun and never completed nor aborted: (key, upload id, initiated)."""
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Uploads", []):
                yield item["Key"], item["UploadId"], item["Initiated"]

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        """Abort an unfinished upload (its parts stop costing storage); one already gone is fine."""
        from botocore.exceptions import ClientError

        try:
            self._call(
                self.client.abort_multipart_upload, key, Bucket=self.bucket, Key=key, UploadId=upload_id
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code", "") != "NoSuchUpload":
                raise

    def delete_many(self, keys) -> list[str]:
        """Delete in batches of 1,000 keys, one request each; returns the keys S3 could not delete."""
        failed: list[str] = []
        batch: list[str] = []

        def flush() -> None:
            response = self._call(
                self.client.delete_objects,
                batch[0],
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
            failed.extend(error["Key"] for error in response.get("Errors", []))
            batch.clear()

        for key in keys:
            batch.append(_check_full_key(key))
            if len(batch) == 1000:
                flush()
        if batch:
            flush()
        return failed


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


def build_object_store(settings) -> ObjectStore:
    """The object store the settings choose."""
    if settings.object_store == "s3":
        import boto3

        client = boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.aws_region)
        return S3ObjectStore(settings.s3_bucket, client)
    return LocalObjectStore(settings.object_store_root)
