"""The SMS sender's look for accepted messages still waiting for a delivery report (issue #16: reports
a killed smsbox lost are settled); a fax try's channel, so the next run of a stopped runner can tell
whether the try is still on the PBX

Revision ID: 0019
Revises: 0022
Create Date: 2026-12-04 04:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0019'
down_revision: str | Sequence[str] | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCEPTED = sa.text("status = 'accepted'")


def upgrade() -> None:
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.create_index('ix_sms_messages_accepted', ['accepted_at'], unique=False,
                              postgresql_where=ACCEPTED, sqlite_where=ACCEPTED)
    with op.batch_alter_table('faxes_out', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('faxes_out', schema=None) as batch_op:
        batch_op.drop_column('channel_id')
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_messages_accepted')
