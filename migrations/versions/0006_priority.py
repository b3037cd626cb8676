"""deliveries.priority: the agreed words first by an ordinary priority; no more nodes table

Replicas no longer announce themselves: one process, elected by a PostgreSQL advisory lock,
sends scheduled work (jobs/leader.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 23:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORDS, QUEUED = 0, 2  # bot/delivery/limiter.py: Priority


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.SmallInteger(), server_default=str(QUEUED), nullable=False)
        )
    deliveries = sa.table("deliveries", sa.column("kind", sa.String), sa.column("priority"))
    op.execute(
        deliveries.update().where(deliveries.c.kind == "reassure_words").values(priority=WORDS)
    )
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nodes_seen_at"))
    op.drop_table("nodes")


def downgrade() -> None:
    op.create_table(
        "nodes",
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("node", name=op.f("pk_nodes")),
    )
    with op.batch_alter_table("nodes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nodes_seen_at"), ["seen_at"], unique=False)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("priority")
