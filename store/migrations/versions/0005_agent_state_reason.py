"""agents.state_reason (why an agent is paused, for the panel and wallboard); sale amounts up to 10^10

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 15:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_reason', sa.String(length=64), server_default='', nullable=False))
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.alter_column('sale_amount', existing_type=sa.Numeric(precision=12, scale=2),
                              type_=sa.Numeric(precision=13, scale=2), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.alter_column('sale_amount', existing_type=sa.Numeric(precision=13, scale=2),
                              type_=sa.Numeric(precision=12, scale=2), existing_nullable=True)
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_column('state_reason')
