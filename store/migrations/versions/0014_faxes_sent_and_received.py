"""Faxes sent and received, with their documents (issue #16, fax half)

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03 22:45:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: str | Sequence[str] | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('faxes_out',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('destination', sa.String(length=16), nullable=False),
    sa.Column('document_name', sa.String(length=255), nullable=False),
    sa.Column('document', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('pages_sent', sa.Integer(), nullable=False),
    sa.Column('remote_station', sa.String(length=64), nullable=False),
    sa.Column('error', sa.String(length=255), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_faxes_out_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['node_id'], ['pbx_nodes.id'], name=op.f('fk_faxes_out_node_id_pbx_nodes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faxes_out'))
    )
    op.create_index('ix_faxes_out_status_node_id', 'faxes_out', ['status', 'node_id'], unique=False)
    op.create_table('faxes_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sender', sa.String(length=32), nullable=False),
    sa.Column('did', sa.String(length=32), nullable=False),
    sa.Column('remote_station', sa.String(length=64), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=255), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('assigned_to', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to'], ['users.id'], name=op.f('fk_faxes_in_assigned_to_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['node_id'], ['pbx_nodes.id'], name=op.f('fk_faxes_in_node_id_pbx_nodes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faxes_in'))
    )
    op.create_index('ix_faxes_in_received_at', 'faxes_in', ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_faxes_in_received_at', table_name='faxes_in')
    op.drop_table('faxes_in')
    op.drop_index('ix_faxes_out_status_node_id', table_name='faxes_out')
    op.drop_table('faxes_out')
