"""`POST /webhooks/bounces`: signed JSON events from an email service."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, select

from digest import store
from digest.bounces import signature
from digest.config import Settings
from digest.store.engine import session_scope
from digest.store.tables import Bounce, Subscriber
from digest.tokens import BounceTags
from digest.web.app import create_app, start_in_thread
from tests.conftest import NOW
from tests.factories import subscriber

with warnings.catch_warnings():  # starlette 0.52 touches an alias anyio 4.12 deprecates
    warnings.filterwarnings("ignore", "The anyio.abc.BlockingPortal", DeprecationWarning)
    from starlette.testclient import TestClient

SECRET = "test-secret-key-0123456789abcdef"
HOOK = "webhook-secret-0123456789abcdef"
SETTINGS = Settings(
    secret_key=SECRET, mail_from="digest@example.org", base_url="http://testserver",
    webhook_secret=HOOK, explicit=frozenset({"DIGEST_BASE_URL"}),  # links may stay local
)  # fmt: skip


def signed(body: bytes | str, at: datetime = NOW, secret: str = HOOK) -> dict[str, str]:
    data = body.encode() if isinstance(body, str) else body
    stamp = str(int(at.timestamp()))
    return {
        "X-Digest-Timestamp": stamp,
        "X-Digest-Signature": signature(secret, stamp, data),
        "Content-Type": "application/json",
    }


def client_for(engine, settings: Settings = SETTINGS) -> TestClient:
    app = create_app(settings, engine, mailer_factory=lambda: None, clock=lambda: NOW)
    return TestClient(app, base_url="http://testserver")


def add(engine, email: str) -> int:
    with session_scope(engine) as session:
        sub, _ = store.upsert_subscriber(
            session, value=subscriber(email), now=NOW, defaults={"timezone": "UTC"}
        )
        assert sub.id is not None
        return sub.id


def status_of(engine, email: str) -> tuple[str, int, str | None]:
    with Session(engine) as session:
        sub = store.get_subscriber(session, email=email)
        assert sub is not None
        return sub.status, sub.hard_bounces, sub.status_reason


def post(client: TestClient, payload, **kw):
    body = json.dumps(payload)
    return client.post("/webhooks/bounces", content=body, headers=signed(body, **kw))


def test_signed_events_suppress_and_unsubscribe(engine) -> None:
    add(engine, "ada@example.org")
    cy = add(engine, "cy@example.org")
    add(engine, "eve@example.org")
    client = client_for(engine)
    verp = BounceTags(SECRET, "digest@example.org").address(cy)
    r = post(client, [
        {"type": "hard", "email": "Ada@Example.org", "status": "5.1.1", "id": "evt-1",
         "detail": "550 5.1.1 user unknown"},
        {"type": "complaint", "tag": verp, "id": "evt-2"},
    ])  # fmt: skip
    assert r.status_code == 200, r.text
    counts = r.json()
    assert (counts["read"], counts["hard"], counts["complaint"]) == (2, 1, 1)
    assert (counts["suppressed"], counts["unsubscribed"]) == (1, 1)
    ada = status_of(engine, "ada@example.org")
    assert ada[:2] == ("suppressed", 1) and "550 5.1.1 user unknown" in (ada[2] or "")
    assert status_of(engine, "cy@example.org")[0] == "unsubscribed"
    assert status_of(engine, "eve@example.org") == ("active", 0, None)
    # a service delivers the same events again: nothing more happens
    again = post(client, [{"type": "hard", "email": "ada@example.org", "id": "evt-1"},
                          {"type": "complaint", "tag": verp, "id": "evt-2"}])  # fmt: skip
    assert again.status_code == 200 and again.json()["duplicate"] == 2
    assert status_of(engine, "ada@example.org")[:2] == ("suppressed", 1)
    with Session(engine) as session:
        rows = session.exec(select(Bounce)).all()
    assert sorted((b.source, b.report_key) for b in rows) == [
        ("webhook", "webhook:evt-1"), ("webhook", "webhook:evt-2"),
    ]  # fmt: skip


def test_a_bare_tag_and_a_soft_bounce(engine) -> None:
    bob = add(engine, "bob@example.org")
    tag = BounceTags(SECRET).tag(bob)
    r = post(client_for(engine), {"type": "soft", "tag": tag, "status": "4.2.2"})
    assert r.status_code == 200 and r.json()["soft"] == 1
    assert status_of(engine, "bob@example.org") == ("active", 0, None)
    with Session(engine) as session:
        (row,) = session.exec(select(Bounce)).all()
    assert (row.subscriber_id, row.status, row.kind) == (bob, "4.2.2", "soft")


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "X-Digest-Timestamp"),
        ({"secret": "another-secret-0123456789abcdef"}, "X-Digest-Signature"),
        ({"at": NOW - timedelta(minutes=6)}, "too far from now"),
        ({"at": NOW + timedelta(minutes=6)}, "too far from now"),
    ],
)
def test_unsigned_forged_or_replayed_requests_are_refused(engine, headers, why) -> None:
    add(engine, "ada@example.org")
    body = json.dumps({"type": "hard", "email": "ada@example.org"})
    sent = {} if not headers else signed(body, **headers)
    r = client_for(engine).post("/webhooks/bounces", content=body, headers=sent)
    assert r.status_code == 401 and why in r.json()["error"]
    assert status_of(engine, "ada@example.org")[0] == "active"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("not json", "not JSON"),
        ("[]", "1 to 1000 events"),
        ('{"type": "bounced", "email": "ada@example.org"}', "`type` must be one of"),
        ('{"type": "hard"}', "give `email` or `tag`"),
        ('{"type": "hard", "email": "nobody"}', "not an email address"),
        ('{"type": "hard", "email": 5}', "`email` must be a string"),
        ('[{"type": "hard", "email": "a@example.org"}, 3]', "event 1: an object expected"),
    ],
)
def test_bad_events_are_refused_whole(engine, body, why) -> None:
    add(engine, "ada@example.org")
    r = client_for(engine).post("/webhooks/bounces", content=body, headers=signed(body))
    assert r.status_code == 400 and why in r.json()["error"]
    with Session(engine) as session:
        assert session.exec(select(Bounce)).all() == []


def test_too_large_and_switched_off(engine) -> None:
    big = json.dumps([{"type": "hard", "email": f"user{n}@example.org"} for n in range(9000)])
    r = client_for(engine).post("/webhooks/bounces", content=big, headers=signed(big))
    assert r.status_code == 413
    off = client_for(engine, replace(SETTINGS, webhook_secret=""))
    body = '{"type": "hard", "email": "ada@example.org"}'
    assert off.post("/webhooks/bounces", content=body, headers=signed(body)).status_code == 404


def test_over_real_http(sqlite_engine) -> None:
    """Served by uvicorn on loopback, posted as an email service's forwarder would."""
    add(sqlite_engine, "ada@example.org")
    server, thread = start_in_thread(SETTINGS, sqlite_engine, "127.0.0.1", 0,
                                     mailer_factory=lambda: None)  # fmt: skip
    try:
        port = server.servers[0].sockets[0].getsockname()[1]
        body = json.dumps({"type": "hard", "email": "ada@example.org", "id": "svc-42"})
        headers = signed(body, at=datetime.now(UTC))
        r = httpx.post(f"http://127.0.0.1:{port}/webhooks/bounces", content=body, headers=headers)
        assert r.status_code == 200 and r.json()["suppressed"] == 1
        with Session(sqlite_engine) as session:
            sub = session.exec(select(Subscriber)).one()
        assert sub.status == "suppressed"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
