"""Alembic environment and revisions (a package so that installs ship them).

Adding a revision after changing the models (review the generated file; on
SQLite every operation runs in batch mode, so name constraints via the
naming convention, never by hand)::

    .venv/bin/python - <<'PY'
    from alembic import command
    from store import migrate
    url = "postgresql://postgres@127.0.0.1/scratch"  # an empty scratch database
    migrate.upgrade(url)
    config = migrate.alembic_config()
    config.attributes["connection"] = migrate.make_engine(url).connect()
    command.revision(config, message="what changed", autogenerate=True, rev_id="0002")
    PY

``tests/db/test_migrations.py`` then checks the history against the models
on both databases, both ways.
"""
