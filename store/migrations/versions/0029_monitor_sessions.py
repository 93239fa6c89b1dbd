"""Live monitoring sessions (listen, whisper, barge): who monitored whom, how, from which seat,
when it started and ended (issue 12, item 5).

Revision ID: 0029
Revises: 0024
Create Date: 2026-12-04 08:50:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0029'
down_revision: str | Sequence[str] | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('monitor_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supervisor_id', sa.Integer(), nullable=True),
    sa.Column('supervisor', sa.String(length=64), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('seat_id', sa.Integer(), nullable=True),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('channel_id', sa.String(length=80), nullable=True),
    sa.Column('agent_leg', sa.String(length=80), nullable=True),
    sa.Column('call_attempt', sa.String(length=80), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=255), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_monitor_sessions_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['node_id'], ['pbx_nodes.id'], name=op.f('fk_monitor_sessions_node_id_pbx_nodes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['seat_id'], ['seats.id'], name=op.f('fk_monitor_sessions_seat_id_seats'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supervisor_id'], ['users.id'], name=op.f('fk_monitor_sessions_supervisor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_sessions'))
    )
    with op.batch_alter_table('monitor_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitor_sessions_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitor_sessions_supervisor_id'), ['supervisor_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('monitor_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitor_sessions_supervisor_id'))
        batch_op.drop_index(batch_op.f('ix_monitor_sessions_agent_id'))
    op.drop_table('monitor_sessions')
