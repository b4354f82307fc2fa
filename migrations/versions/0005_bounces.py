"""bounces: the bounce table (one row per report or event) and subscriber.status_reason

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import digest.store.tables

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# as they were at this revision (later code may add kinds in a migration of its own)
KINDS = ("hard", "soft", "complaint", "ignored", "unreadable")
SOURCES = ("smtp", "imap", "maildir", "webhook")
ACTIONS = ("suppressed", "unsubscribed", "counted", "repeat", "unmatched", "none", "kept")


def _one_of(column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=f"ck_bounce_{column}")


def upgrade() -> None:
    op.create_table('bounce',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=True),
    sa.Column('digest_date', sa.Date(), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('received_at', digest.store.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('report_key'),
    _one_of('kind', KINDS),
    _one_of('source', SOURCES),
    _one_of('action', ACTIONS),
    )
    with op.batch_alter_table('bounce', schema=None) as batch_op:
        batch_op.create_index('ix_bounce_subscriber_day', ['subscriber_id', 'digest_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_bounce_received_at'), ['received_at'], unique=False)

    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    # Not a batch (copy-and-move) on SQLite: dropping the old subscriber table would fail
    # the foreign keys of its deliveries; SQLite 3.35+ and PostgreSQL both drop a column.
    op.execute('ALTER TABLE subscriber DROP COLUMN status_reason')

    with op.batch_alter_table('bounce', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bounce_received_at'))
        batch_op.drop_index('ix_bounce_subscriber_day')

    op.drop_table('bounce')
