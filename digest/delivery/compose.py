"""Turning a batch of claimed outbox rows into digests: candidates, batched ranking, MIME.

Every subscriber in a batch is ranked at once against one index of the papers first seen
since the earliest of their cutoffs; the index is reused by later batches while the papers
it covers have not changed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from digest import ranking, store
from digest.config import MAX_PAPERS_PER_EMAIL
from digest.delivery.outbox import Claimed
from digest.mail.dkim import DkimSigner
from digest.mail.mailers import Envelope
from digest.mail.message import build_message, make_message_id
from digest.ranking import Profile, ScoredPaper, select_expansions
from digest.render.renderer import RenderedEmail, Renderer, build_digest_context
from digest.store.tables import Acronym, Feedback, Paper, SentPaper, Subscriber, table_of
from digest.tokens import BounceTags, Links

NEW_SUBSCRIBER_WINDOW = timedelta(days=2)  # a first digest covers the last two days
PAPER = table_of(Paper)
SENT = table_of(SentPaper)
FEEDBACK = table_of(Feedback)
ACRONYM = table_of(Acronym)


@dataclass(frozen=True)
class Recipient:
    id: int
    public_id: str
    email: str
    keywords: str
    exclude: str
    max_papers: int
    send_at: str
    timezone: str
    frequency: str
    status: str
    token_version: int
    since: datetime


@dataclass(frozen=True)
class Digest:
    """One claimed row, ranked and ready to render."""

    row: Claimed
    to: Recipient
    ranked: tuple[tuple[Paper, ScoredPaper], ...]
    total_new: int


@dataclass(frozen=True)
class Composer:
    """What turns a digest into bytes: one renderer, links, sender, optional DKIM."""

    renderer: Renderer
    links: Links
    mail_from: str
    envelope_from: str
    domain: str
    send_empty: bool = False
    dkim: DkimSigner | None = None
    on_rendered: Callable[[Digest, RenderedEmail], Any] | None = None
    bounce_tags: BounceTags | None = None  # VERP: each digest's own envelope sender
    list_id: str = ""  # the List-Id header, when set
    feedback_id: str = ""  # the Feedback-ID header, when set
    feedback_sender: str = ""  # DIGEST_FEEDBACK_ID, for the other kinds of email

    def envelope(self, digest: Digest, now: datetime) -> tuple[Envelope, str]:
        """The message for one digest and its Message-ID (the same on every attempt)."""
        to, row = digest.to, digest.row
        ctx = build_digest_context(
            email=to.email,
            keywords=to.keywords,
            papers=digest.ranked,
            total_new=digest.total_new,
            digest_date=row.digest_date,
            links=self.links,
            public_id=to.public_id,
            token_version=to.token_version,
            view_link=True,
        )
        email = self.renderer.digest(ctx) if digest.ranked else self.renderer.empty(ctx)
        if self.on_rendered is not None:
            self.on_rendered(digest, email)
        message_id = make_message_id(
            public_id=to.public_id, digest_date=row.digest_date, domain=self.domain
        )
        headers = dict(email.headers)
        if self.list_id:
            headers["List-Id"] = self.list_id
        if self.feedback_id:
            headers["Feedback-ID"] = self.feedback_id
        data = build_message(
            subject=email.subject,
            html=email.html,
            text=email.text,
            headers=headers,
            sender=self.mail_from,
            to=to.email,
            message_id=message_id,
            date=now,
            dkim=self.dkim,
        )
        tags = self.bounce_tags
        sender = self.envelope_from if tags is None else tags.address(to.id, row.digest_date)
        return Envelope(row.id, sender, to.email, data), message_id


class PaperCache:
    """The ranking index and paper rows, reused across batches while the papers are unchanged."""

    def __init__(self) -> None:
        self.floor: datetime | None = None
        self.fingerprint: tuple[Any, ...] | None = None
        self.index: Any = None
        self.papers: dict[str, Paper] = {}
        self.times: list[float] = []  # first-seen times, sorted, for counting new papers
        self.builds = 0

    def load(self, session: Session, *, floor: datetime, cutoff: datetime) -> None:
        """Papers first seen in (floor, cutoff], plus every paper someone voted on (so "more
        like this" can compare candidates with it); rebuilt only when these changed."""
        old = self.floor
        if (
            old is not None
            and old <= floor
            and _fingerprint(session, old, cutoff) == self.fingerprint
        ):
            return
        seen = PAPER.c.first_seen_at
        voted = sa.select(FEEDBACK.c.paper_id).distinct()
        query = select(Paper).where(
            sa.or_(sa.and_(seen > floor, seen <= cutoff), PAPER.c.id.in_(voted))
        )
        rows = list(session.exec(query.order_by(PAPER.c.id)))
        texts = [store.paper_text(p) for p in rows]
        self.index = ranking.build_index(texts, select_expansions(store.acronym_counts(session)))
        self.papers = {p.id: p for p in rows}
        self.times = sorted(p.first_seen_at.timestamp() for p in rows if floor < p.first_seen_at)
        self.floor, self.fingerprint = floor, _fingerprint(session, floor, cutoff)
        self.builds += 1

    def count_since(self, since: datetime) -> int:
        return len(self.times) - bisect_right(self.times, since.timestamp())


def _fingerprint(session: Session, floor: datetime, cutoff: datetime) -> tuple[Any, ...]:
    """What changes when the candidates, the votes or the acronyms change: one statement
    (asked once per batch)."""
    seen = PAPER.c.first_seen_at
    papers = (
        sa.select(sa.func.count(), sa.func.max(seen), sa.func.max(PAPER.c.updated_at))
        .where(seen > floor, seen <= cutoff)
        .subquery()
    )
    votes = sa.select(sa.func.count(), sa.func.max(FEEDBACK.c.created_at)).subquery()
    acronyms = sa.select(sa.func.count(), sa.func.max(ACRONYM.c.updated_at)).subquery()
    one_row_each = papers.join(votes, sa.true()).join(acronyms, sa.true())
    query = sa.select(*papers.c, *votes.c, *acronyms.c).select_from(one_row_each)
    return tuple(session.execute(query).one())


def recipients(
    session: Session, *, rows: Sequence[Claimed], cutoff: datetime
) -> dict[int, Recipient]:
    ids = sorted({r.subscriber_id for r in rows})
    out: dict[int, Recipient] = {}
    for batch in store.chunks(ids):  # columns, not ORM objects: a batch is hundreds of rows
        for row in session.execute(_RECIPIENT.where(SUBSCRIBER.c.id.in_(batch))):
            values = dict(row._mapping)
            last = values.pop("last_digest_at")
            out[values["id"]] = Recipient(**values, since=last or cutoff - NEW_SUBSCRIBER_WINDOW)
    return out


SUBSCRIBER = table_of(Subscriber)
_RECIPIENT = sa.select(
    *(SUBSCRIBER.c[f.name] for f in fields(Recipient) if f.name != "since"),
    SUBSCRIBER.c.last_digest_at,
)


def _already_sent(session: Session, ids: Sequence[int], floor: datetime) -> dict[int, set[str]]:
    """Papers among the candidates that already reached these subscribers."""
    sent: dict[int, set[str]] = defaultdict(set)
    for batch in store.chunks(ids):
        query = (
            sa.select(SENT.c.subscriber_id, SENT.c.paper_id)
            .join(PAPER, PAPER.c.id == SENT.c.paper_id)
            .where(SENT.c.subscriber_id.in_(batch), PAPER.c.first_seen_at > floor)
        )
        for sid, pid in session.execute(query):
            sent[sid].add(pid)
    return sent


def rank_batch(
    session: Session,
    *,
    rows: Sequence[Claimed],
    people: Mapping[int, Recipient],
    cutoff: datetime,
    cache: PaperCache,
) -> list[Digest]:
    """Rank every row's subscriber at once; rows whose subscriber is gone are left out."""
    rows = [r for r in rows if r.subscriber_id in people]
    if not rows:
        return []
    floor = min(people[r.subscriber_id].since for r in rows)
    cache.load(session, floor=floor, cutoff=cutoff)
    ids = [r.subscriber_id for r in rows]
    sent = _already_sent(session, ids, floor)
    votes = store.feedback_for(session, subscriber_ids=ids)
    profiles = []
    for r in rows:
        to = people[r.subscriber_id]
        liked, disliked = votes.get(to.id, ((), ()))
        profiles.append(
            Profile(
                key=r.id,
                keywords=to.keywords,
                exclude=to.exclude,
                max_papers=min(to.max_papers, MAX_PAPERS_PER_EMAIL),  # stored before the cap
                since=to.since,
                already_sent=frozenset(sent.get(to.id, ())),
                liked=liked,
                disliked=disliked,
            )
        )
    ranked = ranking.rank_profiles(cache.index, profiles)
    return [
        Digest(
            row=r,
            to=people[r.subscriber_id],
            ranked=tuple((cache.papers[s.paper_id], s) for s in scored),
            total_new=cache.count_since(people[r.subscriber_id].since),
        )
        for r, scored in zip(rows, ranked, strict=True)
    ]
