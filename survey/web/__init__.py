"""HTTP handlers only: parse, call the domain, render or redirect. ``ROUTES`` lists them all."""

from survey.web import api_forms, api_sync

ROUTES = [*api_forms.ROUTES, *api_sync.ROUTES]

__all__ = ["ROUTES"]
