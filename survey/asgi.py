"""The ASGI entry point for uvicorn workers: the app built from ``SURVEY_*`` settings."""

from survey.app import create_app
from survey.settings import Settings

app = create_app(Settings.from_env())
