"""The embedded-default object store: objects as files under one root folder.

Writes are atomic (a temp file in `.scratch/`, then a rename), so a killed process never leaves a
half-written object under its key.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from domain.errors import InvalidKeyError, ObjectNotFound
from resources.object_store import ObjectInfo, check_full_key


class LocalObjectStore:
    """Objects as files under one root folder; writes are atomic (temp file, then rename)."""

    def __init__(self, root: Path, file_server_url: str | None = None) -> None:
        self.root = Path(root).resolve()
        #: scripts/file_server.py serving this root (None: NP_FILE_SERVER_URL, read when a link is made).
        self.file_server_url = file_server_url
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / check_full_key(key)).resolve()
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

    def sha256(self, key: str) -> str:
        """The object's SHA-256 (hex), hashed in place: no copy."""
        try:
            with open(self._path(key), "rb") as handle:
                return hashlib.file_digest(handle, "sha256").hexdigest()
        except (FileNotFoundError, IsADirectoryError):
            raise ObjectNotFound(key=key) from None

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
        """A link that opens: the read-only file server's URL when one is set (NP_FILE_SERVER_URL, started by
        scripts/ui.sh), else the file's URI (browsers block file:// links from web pages)."""
        url = self.served_url(key)
        return url if url is not None else self._path(key).as_uri()

    def link_details(self, key: str, expires_seconds: int) -> dict[str, Any]:
        """What to show people of an object: its absolute path (to copy) and, when a file server is set,
        its http URL. Local links do not expire."""
        details: dict[str, Any] = {"path": str(self._path(key))}
        url = self.served_url(key)
        if url is not None:
            details["url"] = url
        return details

    def served_url(self, key: str) -> str | None:
        """The file server's URL of a stored file (None: no server set, or not a file it serves)."""
        base = self.file_server_url
        if base is None:
            from resources.settings import get_settings  # settings import the resources: read when asked

            base = get_settings().file_server_url
        if not base or not self._path(key).is_file():
            return None
        return f"{base.rstrip('/')}/{quote(check_full_key(key))}"

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

    # Housekeeping (nextpoint_assets/housekeeping.py): listings with ages, temp leftovers, bulk deletes.

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
