from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from digest.db import current_revision


def test_upgrade_empty_database_then_autogenerate_finds_no_difference(engine):
    # `engine` fixture upgraded an empty database to head (SQLite, and PostgreSQL if set).
    assert current_revision(engine) is not None
    tables = set(inspect(engine).get_table_names())
    assert {"paper", "subscriber", "delivery", "sentpaper"} <= tables
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == []


def test_delivery_is_unique_per_subscriber_and_day(engine):
    uniques = inspect(engine).get_unique_constraints("delivery")
    assert any(set(u["column_names"]) == {"subscriber_id", "digest_date"} for u in uniques)
