from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from digest.store.engine import current_revision


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


def test_claim_indexes_migration_keeps_the_outbox(tmp_path):
    # a database made before the partial claim indexes, with a delivery in it
    from datetime import UTC, date, datetime

    from alembic import command
    from sqlmodel import Session

    from digest import store
    from digest.delivery import outbox
    from digest.store.engine import alembic_config, make_engine, upgrade
    from tests.factories import subscriber

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    assert "ix_delivery_status" in {i["name"] for i in inspect(engine).get_indexes("delivery")}
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    with Session(engine) as session:
        sub, _ = store.upsert_subscriber(
            session, value=subscriber(), now=now, defaults={"send_at": "07:00", "timezone": "UTC"}
        )
        assert sub.id is not None
        outbox.insert_planned(session, rows=[(sub.id, date(2026, 12, 1))], now=now)
        session.commit()
    upgrade(engine)
    names = {i["name"] for i in inspect(engine).get_indexes("delivery")}
    assert {"ix_delivery_due", "ix_delivery_leased"} <= names
    assert "ix_delivery_status" not in names
    with Session(engine) as session:
        (row,) = outbox.claim(session, owner="w", now=now, lease_seconds=60, limit=10)
    assert row.digest_date == date(2026, 12, 1)
    command.downgrade(alembic_config(engine), "0001")
    assert "ix_delivery_status" in {i["name"] for i in inspect(engine).get_indexes("delivery")}
    engine.dispose()


def test_the_database_refuses_an_unknown_status(engine):
    import pytest
    import sqlalchemy as sa

    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO subscriber (email, keywords, exclude, send_at, timezone, max_papers,"
                " frequency, status, created_at, updated_at, hard_bounces, soft_bounces,"
                " token_version) VALUES ('a@example.org', 'OOD', '', '07:00', 'UTC', 10,"
                " 'daily', 'active', '2026-12-03 00:00:00', '2026-12-03 00:00:00', 0, 0, 0)"
            )
        )
    for column, value in (("status", "bogus"), ("frequency", "hourly")):
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE subscriber SET {column} = :v"), {"v": value})
