"""All tables (SQLModel), in one module.

Datetimes are timezone-aware UTC everywhere in the code; the `UTCDateTime` column type
stores them as naive UTC so SQLite and PostgreSQL behave the same.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel, UniqueConstraint


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored naive UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


# --------------------------------------------------------------------------- tables


class SubscriberStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # awaiting double opt-in
    UNSUBSCRIBED = "unsubscribed"
    SUPPRESSED = "suppressed"  # bounced or complained: never sent to again


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    PAUSED = "paused"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    RETRY = "retry"
    SENT = "sent"
    EMPTY = "empty"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    SKIPPED = "skipped"


class FetchStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"


def one_of(column: str, values: type[StrEnum], name: str) -> sa.CheckConstraint:
    """The database refuses a status the code does not know (one list: the enum)."""
    listed = ", ".join(f"'{v.value}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=name)


class PaperSource(StrEnum):
    """The listings that named a paper (one paper per arXiv id, whichever listing named it)."""

    HF = "hf"
    ARXIV = "arxiv"
    BOTH = "hf,arxiv"


class Paper(SQLModel, table=True):
    __table_args__ = (one_of("source", PaperSource, "ck_paper_source"),)

    id: str = Field(primary_key=True, max_length=32)  # arXiv id without version
    title: str
    abstract: str
    authors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    arxiv_version: int | None = None  # the version arXiv last announced
    upvotes: int = 0
    num_comments: int = 0
    github_url: str | None = None
    project_url: str | None = None
    thumbnail: str | None = None
    source: str = Field(default="hf", max_length=16)  # a PaperSource
    published_at: datetime | None = _ts(default=None)
    listing_day: date = Field(index=True)
    first_seen_at: datetime = _ts(index=True)
    updated_at: datetime = _ts()


def new_public_id() -> str:
    """A subscriber's public id: random (96 bits), in Message-IDs and signed links instead of
    the row number, which would tell how many subscribers there are and could be reused."""
    return secrets.token_urlsafe(12)


class Subscriber(SQLModel, table=True):
    # AUTOINCREMENT: SQLite never hands a deleted subscriber's id to a new one (PostgreSQL's
    # sequences never do), so nothing keyed by the id can reach another person
    __table_args__ = (
        one_of("status", SubscriberStatus, "ck_subscriber_status"),
        one_of("frequency", Frequency, "ck_subscriber_frequency"),
        UniqueConstraint("public_id", name="uq_subscriber_public_id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(
        default_factory=new_public_id,
        max_length=32,
        sa_column_kwargs={"default": new_public_id},  # bulk inserts (Core) get one too
    )
    email: str = Field(unique=True, max_length=320)
    keywords: str = ""
    exclude: str = ""
    send_at: str = Field(default="07:00", max_length=5)
    timezone: str = Field(default="UTC", max_length=64)
    max_papers: int = 10
    frequency: str = Field(default="daily", max_length=8)  # daily | weekly | paused
    status: str = Field(default="active", max_length=16, index=True)
    # active | pending (awaiting double opt-in) | unsubscribed | suppressed
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    confirmed_at: datetime | None = _ts(default=None)
    unsubscribed_at: datetime | None = _ts(default=None)
    suppressed_at: datetime | None = _ts(default=None)
    last_digest_at: datetime | None = _ts(default=None)  # candidates start after this
    hard_bounces: int = 0
    soft_bounces: int = 0  # in a row; reset by a delivery
    token_version: int = 0  # bump to revoke every link sent so far
    status_reason: str | None = None  # why suppressed, or unsubscribed by a complaint


# What workers claim, as literal SQL: SQLite uses a partial index only when the query repeats
# its WHERE clause word for word (no bound parameters), and PostgreSQL proves it alike.
DUE_ROWS = "status IN ('pending', 'retry')"
LEASED_ROWS = "status = 'sending'"


class Delivery(SQLModel, table=True):
    """The outbox: one row per subscriber and digest date.

    The two partial indexes keep claiming cheap however large the outbox grows: a claim reads
    the first rows of the due ones in order (not a sort of every pending row), and looks for
    expired leases among the rows being sent only.
    """

    __table_args__ = (
        UniqueConstraint("subscriber_id", "digest_date", name="uq_delivery_day"),
        one_of("status", DeliveryStatus, "ck_delivery_status"),
        sa.Index(
            "ix_delivery_due",
            "next_attempt_at",
            "id",
            postgresql_where=sa.text(DUE_ROWS),
            sqlite_where=sa.text(DUE_ROWS),
        ),
        sa.Index(
            "ix_delivery_leased",
            "lease_until",
            postgresql_where=sa.text(LEASED_ROWS),
            sqlite_where=sa.text(LEASED_ROWS),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)
    digest_date: date = Field(index=True)
    # not indexed alone: the partial indexes below serve the claims (an index on status would
    # tempt SQLite's planner into sorting every pending row for each claim)
    status: str = Field(default="pending", max_length=16)
    # pending | sending | retry | sent | empty | failed | suppressed
    attempts: int = 0
    next_attempt_at: datetime = _ts(index=True)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _ts(default=None)
    message_id: str | None = Field(default=None, max_length=255)
    paper_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    last_error: str | None = None
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    sent_at: datetime | None = _ts(default=None)


class SentPaper(SQLModel, table=True):
    """A paper that reached a subscriber: never sent to them again."""

    subscriber_id: int = Field(foreign_key="subscriber.id", primary_key=True)
    paper_id: str = Field(primary_key=True, max_length=32)
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id")
    sent_at: datetime = _ts()


class Feedback(SQLModel, table=True):
    """ "More like this" (+1) or "not for me" (-1) on a paper, from the email."""

    __table_args__ = (sa.CheckConstraint("vote IN (1, -1)", name="ck_feedback_vote"),)

    subscriber_id: int = Field(foreign_key="subscriber.id", primary_key=True)
    paper_id: str = Field(primary_key=True, max_length=32)
    vote: int
    created_at: datetime = _ts()


class Acronym(SQLModel, table=True):
    """An acronym and its expansion, learned from abstracts ("long form (LF)")."""

    short: str = Field(primary_key=True, max_length=32)
    long: str = Field(primary_key=True, max_length=200)
    count: int = 1
    updated_at: datetime = _ts()


class FetchRun(SQLModel, table=True):
    __table_args__ = (one_of("status", FetchStatus, "ck_fetchrun_status"),)

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = _ts(index=True)
    finished_at: datetime | None = _ts(default=None)
    first_day: date | None = None
    last_day: date | None = None
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: int = 0
    status: str = Field(default="running", max_length=16)  # running | ok | partial | failed
    message: str | None = None


BOUNCE_KINDS = ("hard", "soft", "complaint", "ignored", "unreadable")
BOUNCE_SOURCES = ("smtp", "imap", "maildir", "webhook")
BOUNCE_ACTIONS = ("suppressed", "unsubscribed", "counted", "repeat", "unmatched", "none", "kept")


def _one_of(column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=f"ck_bounce_{column}")


class Bounce(SQLModel, table=True):
    """One bounce, complaint or unreadable report, recorded once: `report_key` is unique (the
    report's Message-ID, a webhook event's id, `smtp:<delivery id>`), so a report read twice,
    or by two machines at once, is acted on once.

    kind: hard (5.x.x) | soft (4.x.x) | complaint (an abuse report) | ignored (not a failure:
    a delay-free DSN, an auto-reply) | unreadable (kept in the mailbox for a person).
    action: what it did to the subscriber: suppressed | unsubscribed | counted | repeat (this
    digest's bounce was already counted) | unmatched (no subscriber) | none | kept.
    """

    __table_args__ = (
        _one_of("kind", BOUNCE_KINDS),
        _one_of("source", BOUNCE_SOURCES),
        _one_of("action", BOUNCE_ACTIONS),
        sa.Index("ix_bounce_subscriber_day", "subscriber_id", "digest_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_key: str = Field(unique=True, max_length=255)
    source: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    action: str = Field(max_length=16)
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id")
    digest_date: date | None = None
    email: str | None = Field(default=None, max_length=320)  # the address the report names
    status: str | None = Field(default=None, max_length=16)  # enhanced status code, 5.1.1
    detail: str | None = None  # the diagnostic, or why the report could not be read
    received_at: datetime = _ts(index=True)


class MissingDay(SQLModel, table=True):
    """A listing day that a fetch could not read: later default fetches retry it until it is
    read (within `fetching.RETRY_DAYS`); `digest status` lists the ones still missing."""

    day: date = Field(primary_key=True)
    first_failed_at: datetime = _ts()
    last_failed_at: datetime = _ts()
    attempts: int = 1
    last_error: str = ""


class Notice(SQLModel, table=True):
    """An email the web pages ask for (a confirmation link, a manage link), queued in the same
    transaction as the change that asks for it and sent by workers like a digest: a mail
    server outage delays it, and loses none. Rendered when sent, so its links are current."""

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)
    kind: str = Field(max_length=16)  # confirm | manage
    status: str = Field(default="pending", max_length=16)
    # pending | sending | retry | sent | failed | skipped
    attempts: int = 0
    next_attempt_at: datetime = _ts(index=True)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _ts(default=None)
    message_id: str = Field(max_length=255)
    last_error: str | None = None
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    sent_at: datetime | None = _ts(default=None)


class Counter(SQLModel, table=True):
    """A fixed-window counter shared by every process (send rate, subscribe rate)."""

    key: str = Field(primary_key=True, max_length=200)
    window_start: datetime = _ts()
    count: int = 0


# --------------------------------------------------------------------------- Core tables


def table_of(model: Any) -> sa.Table:
    """The Core table behind a SQLModel class, for bulk statements."""
    table: sa.Table = model.__table__
    return table
