"""joint rituals: the couple's clock, dates announced ahead, and the question for two

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 02:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("couples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("date_ahead", sa.String(length=8), server_default="eve", nullable=False)
        )
    op.create_table(
        "question_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("ritual_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_question_rounds_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ritual_id"],
            ["rituals.id"],
            name=op.f("fk_question_rounds_ritual_id_rituals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_rounds")),
        sa.UniqueConstraint(
            "ritual_id", "asked_at", name=op.f("uq_question_rounds_ritual_id_asked_at")
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("question_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_rounds_couple_id"), ["couple_id"])
    op.create_table(
        "question_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["question_rounds.id"],
            name=op.f("fk_question_answers_round_id_question_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_question_answers_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_answers")),
        sa.UniqueConstraint(
            "round_id", "person_id", name=op.f("uq_question_answers_round_id_person_id")
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("question_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_answers_person_id"), ["person_id"])


def downgrade() -> None:
    with op.batch_alter_table("question_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_answers_person_id"))
    op.drop_table("question_answers")
    with op.batch_alter_table("question_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_rounds_couple_id"))
    op.drop_table("question_rounds")
    with op.batch_alter_table("couples", schema=None) as batch_op:
        batch_op.drop_column("date_ahead")
        batch_op.drop_column("timezone")
