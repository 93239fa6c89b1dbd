"""Standby runners (issue 17 item 2): a node may have two runners sharing a lease with a fencing token.

Revision ID: 0024
Revises: 0021
Create Date: 2026-12-04 08:45:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0024'
down_revision: str | Sequence[str] | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('runner_leases',
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('token', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['pbx_nodes.id'], name=op.f('fk_runner_leases_node_id_pbx_nodes'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('node_id', name=op.f('pk_runner_leases'))
    )
    with op.batch_alter_table('pbx_nodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('standby', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('pbx_nodes', schema=None) as batch_op:
        batch_op.drop_column('standby')
    op.drop_table('runner_leases')
