"""``GET /static/{file_path}``: the fieldwork client's scripts and stylesheet, minified once.

The files in ``survey/static/`` stay readable, with their comments; what a tablet downloads is
the same code without comments and spare whitespace (rjsmin, rcssmin), made on first request and
kept in memory. Each answer carries an ETag and ``Cache-Control: no-cache``: the browser asks
again every time and gets ``304 Not Modified`` until the file changes (the service worker keeps
the copy for when there is no network).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import rcssmin
import rjsmin
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

STATIC = Path(__file__).resolve().parents[1] / "static"
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_CACHE: dict[Path, tuple[float, bytes, str]] = {}


def minified(path: Path) -> tuple[bytes, str]:
    """The file's served bytes and their ETag, remade when the file changes."""
    mtime = path.stat().st_mtime
    hit = _CACHE.get(path)
    if hit is None or hit[0] != mtime:
        text = path.read_text(encoding="utf-8")
        css = path.suffix == ".css"
        small = rcssmin.cssmin(text) if css else rjsmin.jsmin(text, keep_bang_comments=False)
        body = small.encode("utf-8")
        hit = (mtime, body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"')
        _CACHE[path] = hit
    return hit[1], hit[2]


def find(file_path: str) -> Path:
    """The file under survey/static for ``file_path``; 404 for anything else (no ``..`` escapes)."""
    path = (STATIC / file_path.lstrip("/")).resolve()
    if STATIC not in path.parents or path.suffix not in TYPES or not path.is_file():
        raise NotFoundException(f"no static file {file_path!r}")
    return path


@get("/static/{file_path:path}", sync_to_thread=False, include_in_schema=False)
def static_file(request: Request[object, object, object], file_path: FromPath[str]) -> Response[bytes]:
    """A script or stylesheet of the fieldwork client, minified; 304 when the browser has it."""
    path = find(file_path)
    body, etag = minified(path)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=TYPES[path.suffix], headers=headers)


def script(name: str) -> str:
    """The served (minified) text of a script, for the service worker route."""
    return minified(find(f"js/{name}"))[0].decode("utf-8")


ROUTES = [static_file]
