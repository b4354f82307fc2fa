"""statuses, frequencies and votes checked by the database

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 16:30:00
"""

from collections.abc import Sequence

from alembic import op

from digest.store.tables import (
    DeliveryStatus,
    FetchStatus,
    Frequency,
    SubscriberStatus,
)

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKS = [
    ('subscriber', 'ck_subscriber_status', 'status', SubscriberStatus),
    ('subscriber', 'ck_subscriber_frequency', 'frequency', Frequency),
    ('delivery', 'ck_delivery_status', 'status', DeliveryStatus),
    ('fetchrun', 'ck_fetchrun_status', 'status', FetchStatus),
]


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


# SQLite copies a table to add a constraint; the copy must keep AUTOINCREMENT (0003)
KEEP = {'subscriber': {'sqlite_autoincrement': True}}


def upgrade() -> None:
    # batch mode: SQLite adds a CHECK constraint by copying the table
    for table, name, column, values in CHECKS:
        with op.batch_alter_table(table, schema=None, table_kwargs=KEEP.get(table, {})) as batch_op:
            batch_op.create_check_constraint(name, _in(column, values))
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_check_constraint('ck_feedback_vote', 'vote IN (1, -1)')


def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_constraint('ck_feedback_vote', type_='check')
    for table, name, _column, _values in reversed(CHECKS):
        with op.batch_alter_table(table, schema=None, table_kwargs=KEEP.get(table, {})) as batch_op:
            batch_op.drop_constraint(name, type_='check')
