"""recordings.status and status_reason (what the web host found in the file: ok, empty, damaged, missing)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 16:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('status_reason', sa.String(length=255), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_recordings_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_status'))
        batch_op.drop_column('status_reason')
        batch_op.drop_column('status')
