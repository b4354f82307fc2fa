import pytest
import sqlalchemy as sa
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

    from digest.delivery import outbox
    from digest.store.engine import alembic_config, make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    assert "ix_delivery_status" in {i["name"] for i in inspect(engine).get_indexes("delivery")}
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    with Session(engine) as session:
        sub_id = old_subscriber(session, "ada@example.org", now)
        outbox.insert_planned(session, rows=[(sub_id, date(2026, 12, 1))], now=now)
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
                "INSERT INTO subscriber (public_id, email, keywords, exclude, send_at, timezone,"
                " max_papers, frequency, status, created_at, updated_at, hard_bounces,"
                " soft_bounces, token_version) VALUES ('p1', 'a@example.org', 'OOD', '',"
                " '07:00', 'UTC', 10, 'daily', 'active', '2026-12-03 00:00:00',"
                " '2026-12-03 00:00:00', 0, 0, 0)"
            )
        )
    for column, value in (("status", "bogus"), ("frequency", "hourly")):
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE subscriber SET {column} = :v"), {"v": value})


def test_bounces_migration_keeps_subscribers_and_goes_back(tmp_path):
    from datetime import UTC, datetime

    import sqlalchemy as sa
    from alembic import command
    from sqlmodel import Session

    from digest.store.engine import alembic_config, make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0002")
    with Session(engine) as session:
        sub_id = old_subscriber(session, "ada@example.org", datetime(2026, 12, 1, 8, tzinfo=UTC))
        session.commit()
    upgrade(engine, "0005")
    assert "bounce" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT id, status, status_reason FROM subscriber")).one()
        assert tuple(row) == (sub_id, "active", None)
        with pytest.raises(sa.exc.IntegrityError):  # kinds are checked by the database
            conn.execute(
                sa.text(
                    "INSERT INTO bounce (report_key, source, kind, action, received_at) "
                    "VALUES ('k', 'imap', 'angry', 'none', '2026-12-01 08:00:00')"
                )
            )
    command.downgrade(alembic_config(engine), "0002")
    assert "bounce" not in inspect(engine).get_table_names()
    assert "status_reason" not in {c["name"] for c in inspect(engine).get_columns("subscriber")}
    engine.dispose()


def test_arxiv_migration_keeps_stored_papers(tmp_path):
    # a database made before arXiv was a source, with a Hugging Face paper in it
    from dataclasses import replace
    from datetime import UTC, date, datetime

    import pytest
    import sqlalchemy as sa
    from alembic import command
    from sqlmodel import Session

    from digest import store
    from digest.store.engine import alembic_config, make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO paper (id, title, abstract, authors, upvotes, num_comments, source,"
                " listing_day, first_seen_at, updated_at) VALUES ('2603.00001', 'T', 'A',"
                " '[\"Ada\"]', 5, 0, 'hf', '2026-03-04', '2026-03-04 06:00:00',"
                " '2026-03-04 06:00:00')"
            )
        )
    upgrade(engine, "0004")
    with Session(engine) as session:
        (old,) = store.paper_texts(session)
        assert (old.id, old.authors, old.categories, old.upvotes) == ("2603.00001", ("Ada",), (), 5)
        row = store.stored_listings(session, ids=["2603.00001"])["2603.00001"]
        assert (row.source, row.version, row.categories) == ("hf", None, ())
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
        conn.execute(sa.text("UPDATE paper SET source = 'rss'"))  # only hf, arxiv, hf,arxiv
    with Session(engine) as session:
        arxiv_paper = store.stored_listings(session, ids=["2603.00001"])["2603.00001"]
        store.insert_papers(
            session,
            papers=[replace(arxiv_paper, id="2603.00002", source="arxiv", categories=("cs.LG",))],
            now=datetime(2026, 3, 5, tzinfo=UTC),
        )
        session.commit()
        assert store.last_listing_day(session, source="arxiv") == date(2026, 3, 4)
    command.downgrade(alembic_config(engine), "0002")
    assert "categories" not in {c["name"] for c in inspect(engine).get_columns("paper")}
    engine.dispose()


def old_subscriber(session, email: str, now, **values) -> int:
    """A subscriber row as schema 0001/0002 stores it (the ORM class is the newest schema)."""
    row = {
        "email": email, "keywords": "OOD", "exclude": "", "send_at": "07:00",
        "timezone": "UTC", "max_papers": 10, "frequency": "daily", "status": "active",
        "created_at": now.replace(tzinfo=None), "updated_at": now.replace(tzinfo=None),
        "hard_bounces": 0, "soft_bounces": 0, "token_version": 0,
    } | values  # fmt: skip
    names = ", ".join(row)
    marks = ", ".join(f":{k}" for k in row)
    session.execute(sa.text(f"INSERT INTO subscriber ({names}) VALUES ({marks})"), row)
    return int(
        session.execute(
            sa.text("SELECT id FROM subscriber WHERE email = :e"), {"e": email}
        ).scalar_one()
    )


def test_public_ids_migration_keeps_every_row_and_never_reuses_ids(engine):
    """0002 -> 0003 on a database with subscribers and what refers to them (SQLite rebuilds
    the subscriber table), then back down and up again."""
    from datetime import UTC, date, datetime

    from alembic import command
    from sqlmodel import Session

    from digest.store.engine import alembic_config, upgrade
    from digest.store.tables import Subscriber

    command.downgrade(alembic_config(engine), "0002")
    engine.dispose()
    assert "public_id" not in {c["name"] for c in inspect(engine).get_columns("subscriber")}
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    with Session(engine) as session:
        ids = [old_subscriber(session, f"u{n}@example.org", now) for n in range(5)]
        for sid in ids:
            session.execute(
                sa.text(
                    "INSERT INTO delivery (subscriber_id, digest_date, status, attempts, "
                    "next_attempt_at, paper_ids, created_at, updated_at) VALUES "
                    "(:s, :d, 'sent', 1, :t, '[]', :t, :t)"
                ),
                {"s": sid, "d": date(2026, 12, 1), "t": now.replace(tzinfo=None)},
            )
            session.execute(
                sa.text(
                    "INSERT INTO feedback (subscriber_id, paper_id, vote, created_at) "
                    "VALUES (:s, '2612.00001', 1, :t)"
                ),
                {"s": sid, "t": now.replace(tzinfo=None)},
            )
        session.commit()
    upgrade(engine)  # through 0003 (public ids, AUTOINCREMENT) to head
    with Session(engine) as session:
        subs = session.exec(sa.select(Subscriber).order_by(Subscriber.id)).scalars().all()
        assert [s.email for s in subs] == [f"u{n}@example.org" for n in range(5)]
        public = [s.public_id for s in subs]
        assert len(set(public)) == 5 and all(len(p) >= 16 for p in public)
        assert not any(p.isdigit() for p in public)
        deliveries = session.execute(sa.text("SELECT count(*) FROM delivery")).scalar_one()
        votes = session.execute(sa.text("SELECT count(*) FROM feedback")).scalar_one()
        assert (deliveries, votes) == (5, 5)
        # foreign keys still hold after the rebuild
        with pytest.raises(sa.exc.IntegrityError):
            session.execute(
                sa.text(
                    "INSERT INTO feedback (subscriber_id, paper_id, vote, created_at) "
                    "VALUES (999, 'x', 1, :t)"
                ),
                {"t": now.replace(tzinfo=None)},
            )
        session.rollback()
        # the newest subscriber deleted by hand: its id is not handed to the next one
        last = ids[-1]
        session.execute(sa.text("DELETE FROM feedback WHERE subscriber_id = :s"), {"s": last})
        session.execute(sa.text("DELETE FROM delivery WHERE subscriber_id = :s"), {"s": last})
        session.execute(sa.text("DELETE FROM subscriber WHERE id = :s"), {"s": last})
        session.commit()
        newcomer = Subscriber(email="new@example.org", created_at=now, updated_at=now)
        session.add(newcomer)
        session.commit()
        assert newcomer.id is not None and newcomer.id > last
        assert newcomer.public_id not in public
    command.downgrade(alembic_config(engine), "0002")
    upgrade(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, SQLModel.metadata) == []
