"""Seat SIP passwords and node AMI/ESL secrets sealed (encrypted) with the instance's key; the columns widen
to hold the tokens. Downgrade opens them again.

The key comes from the caller (``store.migrate.upgrade(..., sealer=...)``; ``switchboard db upgrade`` passes
the instance's), never from the database: a database with secrets and no key given stops here unchanged.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 22:40:00.000000

"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: str | Sequence[str] | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {name: sa.table(name, sa.column('id', sa.Integer), sa.column('secret', sa.String))
          for name in ('pbx_nodes', 'seats')}


def _secrets() -> dict[str, Sequence[Any]]:
    """Every non-empty secret by table; refused before any change when there are some and no key."""
    connection = op.get_bind()
    found = {name: connection.execute(sa.select(t.c.id, t.c.secret).where(t.c.secret != '')).all()
             for name, t in TABLES.items()}
    if any(found.values()) and context.config.attributes.get('sealer') is None:
        raise RuntimeError("pbx_nodes or seats hold secrets: migrate with the instance's secrets key "
                           "(`switchboard db upgrade`, or store.migrate.upgrade(..., sealer=...))")
    return found


def _rewrite(found: dict[str, Sequence[Any]], change: Callable[[Any], Callable[[str], str]]) -> None:
    """Each secret through the sealer's ``seal`` or ``open`` (``change`` picks which)."""
    sealer = context.config.attributes.get('sealer')
    for name, rows in found.items():
        t = TABLES[name]
        for row_id, secret in rows:
            op.get_bind().execute(sa.update(t).where(t.c.id == row_id).values(secret=change(sealer)(secret)))


def upgrade() -> None:
    found = _secrets()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('secret', existing_type=sa.String(length=255), type_=sa.String(length=512),
                                  existing_nullable=False)
    _rewrite(found, lambda sealer: sealer.seal)


def downgrade() -> None:
    _rewrite(_secrets(), lambda sealer: sealer.open)
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('secret', existing_type=sa.String(length=512), type_=sa.String(length=255),
                                  existing_nullable=False)
