"""Call transfers: one row per blind transfer of a call's customer from one agent to another, with the
first agent's own disposition of their part.

Revision ID: 0041
Revises: 0036
Create Date: 2026-12-04 15:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0041'
down_revision: str | Sequence[str] | None = '0036'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'call_transfers',
        sa.Column('id', BIG, nullable=False),
        sa.Column('call_id', BIG, nullable=True),
        sa.Column('attempt_id', sa.Uuid(), nullable=True),
        sa.Column('node_id', sa.Integer(), nullable=True),
        sa.Column('from_agent_id', sa.Integer(), nullable=True),
        sa.Column('to_agent_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('request_id', BIG, nullable=True),
        sa.Column('from_disposition_id', sa.Integer(), nullable=True),
        sa.Column('from_notes', sa.Text(), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_call_transfers_attempt_id_attempts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_transfers_call_id_calls'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['from_agent_id'], ['agents.id'],
                                name=op.f('fk_call_transfers_from_agent_id_agents'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['from_disposition_id'], ['dispositions.id'],
                                name=op.f('fk_call_transfers_from_disposition_id_dispositions'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['node_id'], ['pbx_nodes.id'], name=op.f('fk_call_transfers_node_id_pbx_nodes'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['request_id'], ['commands.id'], name=op.f('fk_call_transfers_request_id_commands'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['to_agent_id'], ['agents.id'], name=op.f('fk_call_transfers_to_agent_id_agents'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_transfers')),
    )
    with op.batch_alter_table('call_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_transfers_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_transfers_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_transfers_from_agent_id'), ['from_agent_id'], unique=False)


def downgrade() -> None:
    op.drop_table('call_transfers')
