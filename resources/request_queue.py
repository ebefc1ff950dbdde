"""The queue requests arrive on: SQS in production (subscribed to the platform's SNS topic), a folder
of JSON files as the embedded default.

Both give at-least-once delivery: a message stays until it is deleted, and a
received message that is not deleted comes back (SQS: after its visibility
timeout; the folder: at the next receive).
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from domain.batches import batched
from domain.errors import RetryableError

SQS_BATCH = 10  # entries per SQS batch call: the most SQS accepts


@dataclass(frozen=True)
class QueueMessage:
    handle: str  # what deletes this delivery of the message
    body: str
    message_id: str
    receive_count: int = 1


class RequestQueue(Protocol):
    def receive(self, max_messages: int = 10, wait_seconds: int = 0) -> list[QueueMessage]: ...
    def delete(self, handles: Iterable[str]) -> list[str]: ...
    def release(self, handles: Iterable[str]) -> None: ...


class LocalRequestQueue:
    """Messages as files in one folder, oldest first; the handle is the file name. A message received
    through this object is not received again through it (its visibility lasts the object's life, which
    is one sensor tick); the next tick sees every file not deleted.

    Like SQS's ApproximateReceiveCount, each message's deliveries are counted (a small file per message
    under `.receives/`, gone with the message), so a message that keeps failing is set aside after
    `max_receives` deliveries here too. The body is read as UTF-8; bytes that are not become U+FFFD."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._counts = self.folder / ".receives"
        self._leased: set[str] = set()

    def send(self, body: str) -> str:
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json"
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
        os.replace(tmp, self.folder / name)
        return name

    def receive(self, max_messages: int = 10, wait_seconds: int = 0) -> list[QueueMessage]:
        names = sorted(n for n in os.listdir(self.folder) if n.endswith(".json") and n not in self._leased)
        messages = []
        for name in names[:max_messages]:
            self._leased.add(name)
            try:
                body = (self.folder / name).read_bytes().decode("utf-8", "replace")
            except FileNotFoundError:  # deleted by a concurrent reader
                continue
            messages.append(QueueMessage(name, body, name, self._count(name)))
        return messages

    def _count(self, name: str) -> int:
        """This delivery's number: one more than the deliveries counted so far."""
        path = self._counts / name
        try:
            count = int(path.read_text() or 0) + 1
        except (FileNotFoundError, ValueError):
            count = 1
        try:
            self._counts.mkdir(exist_ok=True)
            path.write_text(str(count))
        except OSError:
            pass  # a count that cannot be kept costs retries, never the message
        return count

    def delete(self, handles: Iterable[str]) -> list[str]:
        for handle in handles:
            if "/" in handle or not handle.endswith(".json"):
                continue
            (self.folder / handle).unlink(missing_ok=True)
            (self._counts / handle).unlink(missing_ok=True)
        return []

    def release(self, handles: Iterable[str]) -> None:
        self._leased.difference_update(handles)

    def depth(self) -> int:
        return sum(1 for n in os.listdir(self.folder) if n.endswith(".json"))


class SqsRequestQueue:
    """One SQS queue. Every fault of the service becomes a RetryableError: the sensor skips its tick."""

    def __init__(self, queue_url: str, client, visibility_seconds: int = 300) -> None:
        self.queue_url = queue_url
        self.client = client
        self.visibility_seconds = visibility_seconds

    def _call(self, fn, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(QueueUrl=self.queue_url, **kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise RetryableError(f"The request queue could not be reached ({type(exc).__name__}).") from exc

    def receive(self, max_messages: int = 10, wait_seconds: int = 0) -> list[QueueMessage]:
        response = self._call(
            self.client.receive_message,
            MaxNumberOfMessages=max(1, min(10, max_messages)),
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=self.visibility_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [
            QueueMessage(
                m["ReceiptHandle"],
                m.get("Body", ""),
                m["MessageId"],
                int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
            )
            for m in response.get("Messages", [])
        ]

    def delete(self, handles: Iterable[str]) -> list[str]:
        """Delete in batches of ten; returns the handles SQS refused (stale after a redelivery)."""
        failed: list[str] = []
        for batch in batched(dict.fromkeys(handles), SQS_BATCH):
            entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(batch)]
            response = self._call(self.client.delete_message_batch, Entries=entries)
            failed += [batch[int(f["Id"])] for f in response.get("Failed", [])]
        return failed

    def release(self, handles: Iterable[str]) -> None:
        """Make messages visible again at once (a tick that could not finish them)."""
        for batch in batched(dict.fromkeys(handles), SQS_BATCH):
            entries = [
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0} for i, h in enumerate(batch)
            ]
            try:
                self._call(self.client.change_message_visibility_batch, Entries=entries)
            except RetryableError:
                return  # they come back after their visibility timeout anyway

    def depth(self) -> int:
        attributes = self._call(
            self.client.get_queue_attributes,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
        values = attributes["Attributes"]
        return int(values["ApproximateNumberOfMessages"]) + int(
            values["ApproximateNumberOfMessagesNotVisible"]
        )


def build_request_queue(
    backend: str,
    folder: Path,
    queue_url: str | None,
    region: str,
    endpoint_url: str | None = None,
    visibility_seconds: int = 300,
) -> RequestQueue:
    if backend == "sqs":
        import boto3
        from botocore.config import Config

        # Short timeouts and few retries: an unreachable queue skips one tick, it must not hang the sensor.
        config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"})
        client = boto3.client("sqs", region_name=region, endpoint_url=endpoint_url, config=config)
        return SqsRequestQueue(queue_url, client, visibility_seconds)
    return LocalRequestQueue(folder)
