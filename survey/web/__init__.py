"""HTTP handlers only: parse, call the domain, render or redirect. ``ROUTES`` lists them all."""

from survey.web import api_export, api_forms, api_sync, pages_admin, pages_auth, pages_collect, static

ROUTES = [
    *api_forms.ROUTES,
    *api_sync.ROUTES,
    *api_export.ROUTES,
    *pages_auth.ROUTES,
    *pages_admin.ROUTES,
    *pages_collect.ROUTES,
    *static.ROUTES,
]

__all__ = ["ROUTES"]
