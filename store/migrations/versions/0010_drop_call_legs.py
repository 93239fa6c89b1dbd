"""drop call_legs: a table no code wrote or read (the core follows legs by the events' channel and call ids)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f('ix_call_legs_channel_id'), table_name='call_legs')
    op.drop_index(op.f('ix_call_legs_call_id'), table_name='call_legs')
    op.drop_table('call_legs')


def downgrade() -> None:
    op.create_table('call_legs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('call_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('channel_id', sa.String(length=64), nullable=False),
    sa.Column('channel_name', sa.String(length=128), nullable=False),
    sa.Column('endpoint', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bridged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hangup_cause', sa.SmallInteger(), nullable=True),
    sa.Column('dial_status', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_legs_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_legs'))
    )
    op.create_index(op.f('ix_call_legs_call_id'), 'call_legs', ['call_id'], unique=False)
    op.create_index(op.f('ix_call_legs_channel_id'), 'call_legs', ['channel_id'], unique=False)
