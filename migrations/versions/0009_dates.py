"""dates that matter: important_dates and their reminder slots

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 02:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "important_dates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.SmallInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["people.id"],
            name=op.f("fk_important_dates_added_by_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["couple_id"],
            ["couples.id"],
            name=op.f("fk_important_dates_couple_id_couples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_important_dates_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_important_dates")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("important_dates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_important_dates_couple_id"), ["couple_id"], unique=False
        )
    op.create_table(
        "date_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["date_id"],
            ["important_dates.id"],
            name=op.f("fk_date_slots_date_id_important_dates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_date_slots_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_date_slots")),
        sa.UniqueConstraint("date_id", "person_id", name=op.f("uq_date_slots_date_id_person_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("date_slots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_date_slots_next_due_at"), ["next_due_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_date_slots_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("date_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_date_slots_person_id"))
        batch_op.drop_index(batch_op.f("ix_date_slots_next_due_at"))
    op.drop_table("date_slots")
    with op.batch_alter_table("important_dates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_important_dates_couple_id"))
    op.drop_table("important_dates")
