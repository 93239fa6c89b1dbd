"""Drop columns nothing wrote or read: recordings.qa_* (the QA work will design its own scorecards)
and lead_lists.team_id (a list's campaign decides which teams work it)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 19:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_qa_reviewed_at'))
        batch_op.drop_constraint(batch_op.f('fk_recordings_qa_reviewer_id_users'), type_='foreignkey')
        for column in ('qa_score', 'qa_form', 'qa_notes', 'qa_reviewer_id', 'qa_reviewed_at'):
            batch_op.drop_column(column)
    with op.batch_alter_table('lead_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_lists_team_id'))
        batch_op.drop_constraint(batch_op.f('fk_lead_lists_team_id_teams'), type_='foreignkey')
        batch_op.drop_column('team_id')


def downgrade() -> None:
    with op.batch_alter_table('lead_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_lead_lists_team_id_teams'), 'teams', ['team_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_lead_lists_team_id'), ['team_id'], unique=False)
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qa_score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column(
            'qa_form', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('qa_notes', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('qa_reviewer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('qa_reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_recordings_qa_reviewer_id_users'), 'users', ['qa_reviewer_id'],
                                    ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_recordings_qa_reviewed_at'), ['qa_reviewed_at'], unique=False)
