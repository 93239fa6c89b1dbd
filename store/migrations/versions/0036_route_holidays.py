"""Holidays per inbound route: local dates a route is closed all day, whatever its hours (issue 12,
item 1).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-04 13:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0036'
down_revision: str | Sequence[str] | None = '0035'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_routes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holidays', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                                      server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('inbound_routes', schema=None) as batch_op:
        batch_op.drop_column('holidays')
