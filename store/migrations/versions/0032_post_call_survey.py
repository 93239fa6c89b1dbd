"""The post-call satisfaction survey (issue 14 item 4): its settings on campaigns and inbound routes, and
the answers (one row per customer sent to the survey; the keys once answered, the ticket a low score opened).

Revision ID: 0032
Revises: 0027
Create Date: 2026-12-04 12:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0032"
down_revision: str | Sequence[str] | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SETTINGS_TABLES = ("campaigns", "inbound_routes")


def upgrade() -> None:
    for table in _SETTINGS_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("survey_enabled", sa.Boolean(), server_default=sa.false(), nullable=False))
            batch_op.add_column(sa.Column("survey_sound", sa.String(length=255), server_default="", nullable=False))
            batch_op.add_column(sa.Column("survey_second_sound", sa.String(length=255), server_default="",
                                          nullable=False))
            batch_op.add_column(sa.Column("survey_low_below", sa.Integer(), server_default="3", nullable=False))
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "survey_answers",
        sa.Column("id", big, nullable=False),
        sa.Column("call_id", big, nullable=True),
        sa.Column("attempt_id", sa.Uuid(), nullable=True),
        sa.Column("pbx_call_id", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("route_id", sa.Integer(), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("second", sa.SmallInteger(), nullable=True),
        sa.Column("ticket_id", big, nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_survey_answers_call_id_calls"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["node_id"], ["pbx_nodes.id"], name=op.f("fk_survey_answers_node_id_pbx_nodes"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name=op.f("fk_survey_answers_agent_id_agents"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_survey_answers_team_id_teams"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_survey_answers_campaign_id_campaigns"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["route_id"], ["inbound_routes.id"],
                                name=op.f("fk_survey_answers_route_id_inbound_routes"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_survey_answers_ticket_id_tickets"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
    )
    for column in ("call_id", "channel_id", "agent_id", "team_id", "campaign_id", "offered_at"):
        op.create_index(op.f(f"ix_survey_answers_{column}"), "survey_answers", [column], unique=False)


def downgrade() -> None:
    op.drop_table("survey_answers")
    for table in _SETTINGS_TABLES:
        with op.batch_alter_table(table) as batch_op:
            for column in ("survey_low_below", "survey_second_sound", "survey_sound", "survey_enabled"):
                batch_op.drop_column(column)
