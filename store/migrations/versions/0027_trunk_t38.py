"""Trunks choose T.38 for faxes (error correction, or off: G.711 only) and its largest datagram (issue 16).

Existing trunks get T.38 with redundancy, 400-byte datagrams: what the issue asks of a trunk (T.38
where the far end offers it, G.711 otherwise) and what the sandbox's carrier trunk carries.

Revision ID: 0027
Revises: 0028
Create Date: 2026-12-04 08:45:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0027"
down_revision: str | Sequence[str] | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trunks") as batch_op:
        batch_op.add_column(
            sa.Column("t38", sa.String(length=16), server_default="redundancy", nullable=False)
        )
        batch_op.add_column(sa.Column("t38_max_datagram", sa.Integer(), server_default="400", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("trunks") as batch_op:
        batch_op.drop_column("t38_max_datagram")
        batch_op.drop_column("t38")
