"""pacing_notes: why each campaign's predictive policy dials as it does, per node (the wallboard shows it)

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-03 19:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pacing_notes',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reasons', sa.String(length=255), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_pacing_notes_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['node_id'], ['pbx_nodes.id'], name=op.f('fk_pacing_notes_node_id_pbx_nodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'node_id', name=op.f('pk_pacing_notes'))
    )


def downgrade() -> None:
    op.drop_table('pacing_notes')
