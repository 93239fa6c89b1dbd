"""Survey prompts uploaded as recordings (issue 14 item 4): the question's and the second question's WAV
(8 kHz mono 16-bit, as converted on upload) on campaigns and inbound routes, with the uploaded file's name.

Revision ID: 0038
Revises: 0040
Create Date: 2026-12-04 15:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0038"
down_revision: str | Sequence[str] | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Each question's recording and the name it was uploaded as, on both kinds of row that ask a survey.
_PROMPTS = [(table, which) for table in ("campaigns", "inbound_routes")
            for which in ("survey_prompt", "survey_second_prompt")]


def upgrade() -> None:
    for table, which in _PROMPTS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(which, sa.LargeBinary(), nullable=True))
            batch_op.add_column(sa.Column(f"{which}_name", sa.String(length=128), server_default="",
                                          nullable=False))


def downgrade() -> None:
    for table, which in reversed(_PROMPTS):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(f"{which}_name")
            batch_op.drop_column(which)
