"""Storage: the SQLAlchemy models, engines and sessions, queries and Alembic migrations."""
