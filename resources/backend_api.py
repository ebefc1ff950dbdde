"""The backend API callback: an XML body signed with HMAC-SHA1 under the shared secret.

POST {NP_BACKEND_API_URL}/exports/{export_id}/callback
Content-Type: application/xml; X-Nextpoint-Signature: hex HMAC-SHA1 of the exact body bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
from xml.etree import ElementTree as ET

from domain.errors import PermanentError, RetryableError
from resources.resilience import guard
from resources.secrets import Secret

SIGNATURE_HEADER = "X-Nextpoint-Signature"


def export_callback_body(
    export_id: int, case_id: int, status: str, page_count: int, archive_keys: list[str], error: str | None
) -> bytes:
    root = ET.Element("export")
    ET.SubElement(root, "id").text = str(export_id)
    ET.SubElement(root, "case-id").text = str(case_id)
    ET.SubElement(root, "status").text = status
    ET.SubElement(root, "page-count").text = str(page_count)
    keys = ET.SubElement(root, "archive-keys")
    for key in archive_keys:
        ET.SubElement(keys, "key").text = key
    ET.SubElement(root, "error").text = error or ""
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha1).hexdigest()


class BackendApi:
    def __init__(self, base_url: str, secret: Secret, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = secret  # read at each callback: a rotated secret needs no restart
        self.timeout = timeout

    def post_export_callback(self, export_id: int, body: bytes) -> int:
        """POST the signed callback, through the backend API's circuit breaker (retried with backoff)."""
        return guard("backend_api").call(self._post_export_callback, export_id, body)

    def _post_export_callback(self, export_id: int, body: bytes) -> int:
        request = urllib.request.Request(
            f"{self.base_url}/exports/{int(export_id)}/callback",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/xml; charset=utf-8",
                SIGNATURE_HEADER: sign(body, self.secret.get()),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 429:
                raise RetryableError(
                    "The backend API is unavailable; the callback will be retried.", status=exc.code
                ) from exc
            raise PermanentError("The backend API refused the export callback.", status=exc.code) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise RetryableError(
                "The backend API could not be reached; the callback will be retried."
            ) from exc
