"""Alembic revisions, oldest first by revision id (0001, 0002, ...)."""
