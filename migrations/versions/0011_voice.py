"""phrases and letters .media_kind / media_file_id / media_seconds: agreed words (and notes
written ahead) may be a recording (a voice message or a video note), kept as Telegram's file_id
and its length only

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 03:50:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


TABLES = ("phrases", "letters")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("media_kind", sa.String(length=16), nullable=True))
            batch_op.add_column(sa.Column("media_file_id", sa.Text(), nullable=True))
            batch_op.add_column(sa.Column("media_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("media_seconds")
            batch_op.drop_column("media_file_id")
            batch_op.drop_column("media_kind")
