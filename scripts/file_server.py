"""A read-only file server for the local object store, so links to outputs open from the Dagster UI.

Browsers refuse `file://` links from a web page; `scripts/ui.sh` starts this beside `dagster dev` and
sets NP_FILE_SERVER_URL, and the local store's links (resources/local_object_store.py) point here.

    .venv/bin/python -m scripts.file_server --port 3001 [--root DIR]

What it serves, and nothing else: GET and HEAD of a regular file under the root, on 127.0.0.1. No
directory listings; no '.', '..', empty or hidden segments (`.scratch/`, `.tmp-*`); nothing a symlink
leads to outside the root; every other method is refused (405). Files are sent as downloads (PDFs and
images inline), never sniffed nor run as a page.
"""

from __future__ import annotations

import argparse
import mimetypes
import shutil
import sys
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

HOST = "127.0.0.1"
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/tiff", "image/gif")


def resolve(root: Path, request_path: str) -> Path | None:
    """The file a request path names under `root` (resolved), or None when it is not one to serve."""
    path = unquote(urlsplit(request_path).path, errors="strict")
    if not path.startswith("/") or "\\" in path or any(ord(c) < 32 or ord(c) == 127 for c in path):
        return None
    segments = path[1:].split("/")
    if any(s in ("", ".", "..") or s.startswith(".") for s in segments):
        return None
    try:
        target = (root / Path(*segments)).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):  # missing, a symlink loop, a NUL
        return None
    if root not in target.parents or not target.is_file():
        return None
    return target


class ReadOnlyHandler(BaseHTTPRequestHandler):
    server_version = "np-files"
    sys_version = ""

    def __init__(self, *args, root: Path, **kwargs) -> None:
        self.root = root
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._send(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._send(body=False)

    def _refuse(self) -> None:
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse  # noqa: N815

    def _send(self, body: bool) -> None:
        try:
            target = resolve(self.root, self.path)
        except UnicodeDecodeError:
            target = None
        if target is None:
            self.send_error(HTTPStatus.NOT_FOUND, "No such file")
            return
        try:
            handle = open(target, "rb")  # noqa: SIM115 (closed below, after the headers)
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND, "No such file")
            return
        with handle:
            ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            disposition = "inline" if ctype in INLINE_TYPES else "attachment"
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(target.stat().st_size))
            # RFC 6266's encoded form: a hostile file name cannot break out of the header.
            self.send_header("Content-Disposition", f"{disposition}; filename*=UTF-8''{quote(target.name)}")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", "sandbox")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if body:
                shutil.copyfileobj(handle, self.wfile, 1024 * 1024)


def make_server(root: Path, port: int) -> ThreadingHTTPServer:
    """A server of `root` on 127.0.0.1:`port` (0: any free port), not yet serving."""
    root = Path(root).resolve()
    return ThreadingHTTPServer((HOST, port), partial(ReadOnlyHandler, root=root))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--root", type=Path, help="default: the local object store ($NP_HOME/objects)")
    args = parser.parse_args(argv)
    root = args.root
    if root is None:
        from resources.settings import get_settings

        settings = get_settings()
        if settings.object_store != "local":
            print("file server: the object store is S3 (presigned links); nothing to serve", file=sys.stderr)
            return 0
        root = settings.object_store_root
    Path(root).mkdir(parents=True, exist_ok=True)
    server = make_server(root, args.port)
    print(f"file server: {Path(root).resolve()} read-only on http://{HOST}:{args.port}/", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
