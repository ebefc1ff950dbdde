"""Objects in one S3 bucket, with case prefixes as the tenancy boundary.

Every call goes through the object store's circuit breaker and backoff (resources/resilience.py);
S3's throttling and outages become RetryableError, a missing key ObjectNotFound.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from domain.batches import batched
from domain.errors import ObjectNotFound, RetryableError
from resources.object_store import ObjectInfo, check_full_key
from resources.resilience import guard

DELETE_BATCH = 1000  # keys per DeleteObjects request: the most S3 accepts


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
            self.client.put_object, key, Bucket=self.bucket, Key=check_full_key(key), Body=data, **extra
        )

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        extra = {"ExtraArgs": {"ContentType": content_type}} if content_type else {}
        self._call(
            self.client.upload_file,
            key,
            Filename=str(path),
            Bucket=self.bucket,
            Key=check_full_key(key),
            **extra,
        )

    def move_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        self.put_file(key, path, content_type)
        Path(path).unlink(missing_ok=True)

    def get_bytes(self, key: str) -> bytes:
        response = self._call(self.client.get_object, key, Bucket=self.bucket, Key=check_full_key(key))
        return response["Body"].read()

    def download(self, key: str, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._call(
            self.client.download_file, key, Bucket=self.bucket, Key=check_full_key(key), Filename=str(path)
        )
        return path

    def sha256(self, key: str) -> str:
        """The object's SHA-256 (hex), from one streamed GET: nothing is written to disk or held whole.
        The read is inside the guarded call, so a stream cut midway is retried like the GET."""

        def streamed(**kwargs) -> str:
            digest = hashlib.sha256()
            for chunk in self.client.get_object(**kwargs)["Body"].iter_chunks(1024 * 1024):
                digest.update(chunk)
            return digest.hexdigest()

        return self._call(streamed, key, Bucket=self.bucket, Key=check_full_key(key))

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectNotFound:
            return False
        return True

    def size(self, key: str) -> int:
        head = self._call(self.client.head_object, key, Bucket=self.bucket, Key=check_full_key(key))
        return int(head["ContentLength"])

    def list_keys(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def head(self, key: str) -> ObjectInfo | None:
        try:
            head = self._call(self.client.head_object, key, Bucket=self.bucket, Key=check_full_key(key))
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
        self._call(self.client.delete_object, key, Bucket=self.bucket, Key=check_full_key(key))

    def copy(self, source_key: str, dest_key: str) -> None:
        # Server-side copy: the bytes never pass through this process.
        self._call(
            self.client.copy,
            source_key,
            CopySource={"Bucket": self.bucket, "Key": check_full_key(source_key)},
            Bucket=self.bucket,
            Key=check_full_key(dest_key),
        )

    def link(self, key: str, expires_seconds: int) -> str:
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": check_full_key(key)},
            ExpiresIn=expires_seconds,
        )

    def link_details(self, key: str, expires_seconds: int) -> dict[str, Any]:
        """The presigned URL and when it stops working (UTC), to be stated wherever the link is shown."""
        issued = datetime.now(UTC).replace(microsecond=0)
        url = self.link(key, expires_seconds)
        return {"url": url, "expires_at": _expiry(url) or issued + timedelta(seconds=expires_seconds)}

    # Housekeeping (nextpoint_assets/housekeeping.py): listings with ages, unfinished uploads, bulk deletes.

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
        for batch in batched((check_full_key(key) for key in keys), DELETE_BATCH):
            response = self._call(
                self.client.delete_objects,
                batch[0],
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
            failed.extend(error["Key"] for error in response.get("Errors", []))
        return failed


def _expiry(url: str) -> datetime | None:
    """When a presigned URL stops working, as the URL itself says (SigV2 `Expires`; SigV4 `X-Amz-Date` plus
    `X-Amz-Expires`)."""
    query = parse_qs(urlsplit(url).query)
    try:
        if "Expires" in query:
            return datetime.fromtimestamp(int(query["Expires"][0]), UTC)
        if "X-Amz-Date" in query and "X-Amz-Expires" in query:
            signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return signed + timedelta(seconds=int(query["X-Amz-Expires"][0]))
    except ValueError:
        return None
    return None
