"""trunks managed in the admin; each trunk name campaigns already used becomes an unmanaged trunk

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 22:26:34.950096

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0017'
down_revision: str | Sequence[str] | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('trunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('managed', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('host', sa.String(length=255), server_default='', nullable=False),
    sa.Column('port', sa.Integer(), server_default='5060', nullable=False),
    sa.Column('transport', sa.String(length=16), server_default='udp', nullable=False),
    sa.Column('auth', sa.String(length=16), server_default='ip', nullable=False),
    sa.Column('username', sa.String(length=64), server_default='', nullable=False),
    sa.Column('secret', sa.String(length=512), server_default='', nullable=False),
    sa.Column('allowed_addresses', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('codecs', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('channel_limit', sa.Integer(), server_default='0', nullable=False),
    sa.Column('caller_id', sa.String(length=32), server_default='', nullable=False),
    sa.Column('strip_prefix', sa.String(length=16), server_default='', nullable=False),
    sa.Column('add_prefix', sa.String(length=16), server_default='', nullable=False),
    sa.Column('dids', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trunks')),
    sa.UniqueConstraint('name', name=op.f('uq_trunks_name'))
    )
    op.create_table('trunk_nodes',
    sa.Column('trunk_id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['pbx_nodes.id'], name=op.f('fk_trunk_nodes_node_id_pbx_nodes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trunk_id'], ['trunks.id'], name=op.f('fk_trunk_nodes_trunk_id_trunks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('trunk_id', 'node_id', name=op.f('pk_trunk_nodes'))
    )
    # A campaign's trunk was a name the PBX defined by hand: keep each one working as a trunk that
    # campaigns can pick and provisioning does not render (managed = false).
    trunks = sa.table('trunks', sa.column('name', sa.String), sa.column('managed', sa.Boolean),
                      sa.column('allowed_addresses', sa.JSON), sa.column('codecs', sa.JSON),
                      sa.column('dids', sa.JSON))
    names = op.get_bind().execute(sa.text("SELECT DISTINCT trunk FROM campaigns WHERE trunk <> ''")).scalars()
    rows = [{'name': name, 'managed': False, 'allowed_addresses': [], 'codecs': [], 'dids': []} for name in names]
    if rows:
        op.bulk_insert(trunks, rows)


def downgrade() -> None:
    op.drop_table('trunk_nodes')
    op.drop_table('trunks')
