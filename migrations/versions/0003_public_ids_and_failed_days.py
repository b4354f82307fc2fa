"""random public ids for subscribers (ids never reused), failed fetch days, queued notices

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 16:00:00

- subscriber.public_id: a random id for Message-IDs and signed links instead of the row
  number; existing subscribers get one each (random, from the database's own generator).
- subscriber: SQLite AUTOINCREMENT, so a deleted subscriber's id is never handed out again
  (the table is rebuilt; PostgreSQL's sequences never reuse an id).
- missingday: listing days a fetch could not read, retried by later fetches.
- notice: confirmation and manage-link emails, queued and retried like digests.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import digest.store.tables

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        # Rebuilding `subscriber` drops the old table, which the rows of delivery, feedback and
        # sentpaper refer to. SQLite applies this only outside a transaction, i.e. when this
        # is the first migration of the run (the tables are empty otherwise); the foreign keys
        # are checked below, and digest.store.engine.upgrade opens fresh connections after.
        op.execute("PRAGMA foreign_keys=OFF")

    op.create_table('missingday',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('first_failed_at', digest.store.tables.UTCDateTime(), nullable=False),
    sa.Column('last_failed_at', digest.store.tables.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', digest.store.tables.UTCDateTime(), nullable=False),
    sa.Column('lease_owner', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('lease_until', digest.store.tables.UTCDateTime(), nullable=True),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', digest.store.tables.UTCDateTime(), nullable=False),
    sa.Column('updated_at', digest.store.tables.UTCDateTime(), nullable=False),
    sa.Column('sent_at', digest.store.tables.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_subscriber_id'), ['subscriber_id'], unique=False)

    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    # every existing subscriber gets a random id of its own (a cryptographic generator on both)
    if sqlite:
        op.execute("UPDATE subscriber SET public_id = lower(hex(randomblob(12)))")
    else:
        op.execute("UPDATE subscriber SET public_id = replace(CAST(gen_random_uuid() AS text), '-', '')")
    with op.batch_alter_table(
        'subscriber', schema=None, recreate='always' if sqlite else 'auto',
        table_kwargs={'sqlite_autoincrement': True},
    ) as batch_op:
        batch_op.alter_column('public_id', existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False)
        batch_op.create_unique_constraint('uq_subscriber_public_id', ['public_id'])

    if sqlite:
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the subscriber rebuild: {broken[:5]}")
        op.execute("PRAGMA foreign_keys=ON")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table(
        'subscriber', schema=None, recreate='always' if sqlite else 'auto',
        table_kwargs={'sqlite_autoincrement': False},
    ) as batch_op:
        batch_op.drop_constraint('uq_subscriber_public_id', type_='unique')
        batch_op.drop_column('public_id')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_subscriber_id'))
        batch_op.drop_index(batch_op.f('ix_notice_next_attempt_at'))
    op.drop_table('notice')
    op.drop_table('missingday')
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")
