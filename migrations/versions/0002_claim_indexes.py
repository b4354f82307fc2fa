"""partial indexes for claiming due and leased deliveries, instead of the status index

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 07:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from digest.store.tables import DUE_ROWS, LEASED_ROWS

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_status')
        batch_op.create_index(
            'ix_delivery_due', ['next_attempt_at', 'id'], unique=False,
            postgresql_where=sa.text(DUE_ROWS), sqlite_where=sa.text(DUE_ROWS),
        )
        batch_op.create_index(
            'ix_delivery_leased', ['lease_until'], unique=False,
            postgresql_where=sa.text(LEASED_ROWS), sqlite_where=sa.text(LEASED_ROWS),
        )


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_leased')
        batch_op.drop_index('ix_delivery_due')
        batch_op.create_index('ix_delivery_status', ['status'], unique=False)
