"""Names that are safe on every file system, page keys, and folder numbering."""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
_EXTENSION = re.compile(r"^[A-Za-z0-9]{1,10}$")


def safe_name(name: str, fallback: str = "PRODUCTION", max_length: int = 80) -> str:
    """ASCII letters, digits, '.', '_' and '-' only; no leading dots; not a Windows device name."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    cleaned = re.sub(r"_{2,}", "_", re.sub(r"\.{2,}", "_", _UNSAFE.sub("_", ascii_name)))
    cleaned = cleaned.strip("._-")[:max_length].strip("._-")
    if not cleaned or cleaned.split(".")[0].upper() in _RESERVED:
        cleaned = f"{fallback}_{cleaned}" if cleaned else fallback
    return cleaned


def safe_extension(extension: str | None, filename: str | None = None) -> str:
    """The produced native's extension: the manifest's if plain, else the file name's, else 'bin'."""
    for candidate in (
        extension,
        (filename or "").rsplit(".", 1)[-1] if filename and "." in filename else None,
    ):
        if candidate:
            candidate = candidate.strip().lstrip(".")
            if _EXTENSION.match(candidate):
                return candidate.lower()
    return "bin"


def bates_key(prefix: str, number: int, padding: int) -> str:
    return f"{prefix}{number:0{padding}d}"


_BATES = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)$")


def parse_bates(value: str) -> tuple[str, int, int] | None:
    """'ACME0000042' -> ('ACME', 42, 7); None when there is no trailing number."""
    match = _BATES.match(value or "")
    if not match:
        return None
    return match["prefix"], int(match["number"]), len(match["number"])


def control_page_key(control_number: str, page: int) -> str:
    return f"{control_number}_{page:04d}"


def volume_label(prefix: str, number: int) -> str:
    return f"{prefix}{number:03d}"


def folder_label(number: int) -> str:
    return f"{number:04d}"


_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_key(key: str) -> str:
    """A page key as a file name: keys come from prefixes and control numbers, which are user text."""
    return _KEY_UNSAFE.sub("_", key).strip(".") or "_"
