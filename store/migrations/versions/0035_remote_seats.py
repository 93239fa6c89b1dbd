"""Remote seats: a seat may be an outside number (an agent's mobile or home phone) dialed through a
trunk of its node (issue 17, item 4).

Revision ID: 0035
Revises: 0027
Create Date: 2026-12-04 12:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0035'
down_revision: str | Sequence[str] | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_number', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('trunk_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_seats_trunk_id'), ['trunk_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_seats_trunk_id_trunks'), 'trunks', ['trunk_id'], ['id'],
                                    ondelete='RESTRICT')


def downgrade() -> None:
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_seats_trunk_id_trunks'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_seats_trunk_id'))
        batch_op.drop_column('trunk_id')
        batch_op.drop_column('remote_number')
