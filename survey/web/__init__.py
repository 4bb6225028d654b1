"""HTTP handlers only: parse, call the domain, render or redirect. ``ROUTES`` lists them all."""

from survey.web import (
    api_export,
    api_forms,
    api_sync,
    openrosa,
    openrosa_admin,
    pages_admin,
    pages_auth,
    pages_coding,
    pages_collect,
    pages_design,
    pages_plan,
    pages_rules,
    static,
)

ROUTES = [
    *api_forms.ROUTES,
    *api_sync.ROUTES,
    *api_export.ROUTES,
    *pages_auth.ROUTES,
    *pages_admin.ROUTES,
    *pages_rules.ROUTES,
    *openrosa_admin.ROUTES,
    *pages_collect.ROUTES,
    *pages_coding.ROUTES,
    *pages_design.ROUTES,
    *pages_plan.ROUTES,
    *static.ROUTES,
    *openrosa.ROUTES,
]

__all__ = ["ROUTES"]
