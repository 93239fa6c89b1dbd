"""lead lists filled in short transactions (importing, import_key); where a node's recordings are read

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 15:45:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('lead_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('importing', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('import_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_lead_lists_import_key'), ['import_key'])
    with op.batch_alter_table('pbx_nodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recordings_dir', sa.String(length=512), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('pbx_nodes', schema=None) as batch_op:
        batch_op.drop_column('recordings_dir')
    with op.batch_alter_table('lead_lists', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_lead_lists_import_key'), type_='unique')
        batch_op.drop_column('import_key')
        batch_op.drop_column('importing')
