"""Inbound routes (a DID answered by a queue or a seat, with business hours) and inbound calls:
the route, the queue's outcome and wait, and the agent who answered (issue 12).

Revision ID: 0020
Revises: 0023
Create Date: 2026-12-04 04:01:06.304023

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0020'
down_revision: str | Sequence[str] | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbound_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('did', sa.String(length=32), nullable=False),
    sa.Column('trunk_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('hotline_agent_ids', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('overflow_agent_ids', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('overflow_after_s', sa.Integer(), server_default='10', nullable=False),
    sa.Column('max_wait_s', sa.Integer(), server_default='120', nullable=False),
    sa.Column('hours', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False),
    sa.Column('record_calls', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['trunk_id'], ['trunks.id'], name=op.f('fk_inbound_routes_trunk_id_trunks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_routes')),
    sa.UniqueConstraint('did', name=op.f('uq_inbound_routes_did')),
    sa.UniqueConstraint('name', name=op.f('uq_inbound_routes_name'))
    )
    with op.batch_alter_table('inbound_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_routes_trunk_id'), ['trunk_id'], unique=False)

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pbx_call_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('route_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('queue_outcome', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('queue_wait_s', sa.Numeric(precision=10, scale=3), nullable=True))
        batch_op.add_column(sa.Column('agent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_calls_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_pbx_call_id'), ['pbx_call_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_calls_agent_id_agents'), 'agents', ['agent_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_calls_route_id_inbound_routes'), 'inbound_routes', ['route_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_calls_route_id_inbound_routes'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_calls_agent_id_agents'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_calls_pbx_call_id'))
        batch_op.drop_index(batch_op.f('ix_calls_agent_id'))
        batch_op.drop_column('agent_id')
        batch_op.drop_column('queue_wait_s')
        batch_op.drop_column('queue_outcome')
        batch_op.drop_column('route_id')
        batch_op.drop_column('pbx_call_id')

    with op.batch_alter_table('inbound_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_routes_trunk_id'))

    op.drop_table('inbound_routes')
