"""arXiv as a second source: a paper's arXiv categories and version; which listings named it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('paper', schema=None) as batch_op:
        # '[]' fills the rows stored before: Hugging Face papers whose categories are unknown
        batch_op.add_column(
            sa.Column('categories', sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column('arxiv_version', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            'ck_paper_source', "source IN ('hf', 'arxiv', 'hf,arxiv')"
        )
    # the default served the rows already stored; new rows always carry their categories
    with op.batch_alter_table('paper', schema=None) as batch_op:
        batch_op.alter_column('categories', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('paper', schema=None) as batch_op:
        batch_op.drop_constraint('ck_paper_source', type_='check')
        batch_op.drop_column('arxiv_version')
        batch_op.drop_column('categories')
