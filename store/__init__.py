"""Persistence: typed models, engine/session factory, Alembic migrations, lead claiming.

Kept inside the core package (but free of Flask and PBX libraries) so that the
runner, the scheduler and the web share one schema definition.
"""
