"""Which paths are browser pages, and CSRF protection for every form they post.

Pages use the session cookie, so every unsafe request to them must carry litestar's signed
double-submit token (``{{ csrf_input | safe }}`` in a form, or the ``X-CSRFToken`` header).
The API, OpenRosa, ``/health`` and ``/schema`` are not pages: scripts and devices send bearer
tokens there, and their errors are JSON.
"""

from __future__ import annotations

from litestar.config.csrf import CSRFConfig

NOT_PAGES = ("/api/", "/openrosa/", "/health", "/schema")
CSRF_COOKIE = "tanfang_csrf"
CSRF_HEADER = "x-csrftoken"


def is_page(path: str) -> bool:
    """True for the HTML pages a browser signs in to; False for the API and machine endpoints."""
    return not path.startswith(NOT_PAGES)


def csrf_config(secret: str) -> CSRFConfig:
    """Signed CSRF tokens on every page, keyed by ``secret`` (the same on every worker)."""
    return CSRFConfig(
        secret=secret,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_samesite="lax",
        exclude=[f"^{prefix}" for prefix in NOT_PAGES],
    )
