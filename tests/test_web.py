"""The web pages through Starlette's test client, on SQLite (and PostgreSQL when configured)."""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from datetime import date, timedelta
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import httpx
import pytest
from itsdangerous import TimestampSigner
from sqlmodel import Session, select

from digest import store
from digest.config import Settings
from digest.store.tables import Counter, Delivery, Feedback, SentPaper, Subscriber
from digest.tokens import BounceTags, Links, make_token
from digest.web.app import create_app, start_in_thread
from digest.web.limits import Limit, Limits
from tests.factories import listed

with warnings.catch_warnings():  # starlette 0.52 touches an alias anyio 4.12 deprecates
    warnings.filterwarnings("ignore", "The anyio.abc.BlockingPortal", DeprecationWarning)
    from starlette.testclient import TestClient

SECRET = "test-secret-key-0123456789abcdef"
BASE = "http://testserver"
SETTINGS = Settings(
    secret_key=SECRET,
    mail_from="digest@example.org",
    base_url=BASE,
    explicit=frozenset({"DIGEST_BASE_URL"}),  # links may point at the test server
)
LINKS = Links(BASE, SECRET)
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class RecordingMailer:
    """Collects envelopes; the SMTP path is tested for real in test_web_browser.py."""

    def __init__(self, sent: list) -> None:
        self.sent = sent

    def send_many(self, envelopes):
        from digest.mail.mailers import SendResult

        for env in envelopes:
            self.sent.append(env)
            yield SendResult(env.key, "sent", 250, "ok")


@pytest.fixture
def clock(now):
    return Clock(now)


@pytest.fixture
def outbox() -> list:
    return []


@pytest.fixture
def make_client(engine, clock, outbox):
    def make(limits: Limits | None = None) -> TestClient:
        app = create_app(
            SETTINGS,
            engine,
            mailer_factory=lambda: RecordingMailer(outbox),
            clock=clock,
            limits=limits,
        )
        return TestClient(app, base_url=BASE, follow_redirects=False)

    return make


@pytest.fixture
def client(make_client):
    return make_client()


def csrf_of(response: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', response.text)
    assert found, "page has no CSRF field"
    return found.group(1)


def form(**kw: str) -> dict[str, str]:
    values = {
        "email": "ada@example.org",
        "keywords": 'diffusion, "knowledge distillation"',
        "exclude": "",
        "send_at": "07:30",
        "timezone": "Europe/Paris",
        "max_papers": "5",
        "frequency": "daily",
    }
    values.update(kw)
    return values


def add_subscriber(engine, now, email="bob@example.org", status="active", **kw):
    with Session(engine, expire_on_commit=False) as s:
        sub = Subscriber(
            email=email, keywords="OOD", status=status, created_at=now, updated_at=now, **kw
        )
        s.add(sub)
        s.commit()
        return sub


def kind_of(envelope) -> str:
    """Which notice an email is: a confirmation or a manage link."""
    text = envelope.data.decode("ascii", "replace")
    return "confirm" if "Subject: Confirm" in text else "manage"


def load(engine, sub_id):
    with Session(engine) as s:
        return s.get(Subscriber, sub_id)


def post_subscribe(client, **kw):
    page = client.get("/")
    return client.post("/", data=form(**kw) | {"csrf": csrf_of(page)})


# --------------------------------------------------------------------------- subscribe


def test_subscribe_page_explains_syntax_and_sends_security_headers(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "quoted phrase" in r.text and "-survey" in r.text and "^2" in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    cookie = r.headers["set-cookie"].lower()
    assert "digest_csrf=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_subscribe_stores_pending_and_sends_confirmation_only(client, engine, outbox):
    r = post_subscribe(client)
    assert r.status_code == 200 and "Check your inbox" in r.text
    with Session(engine) as s:
        sub = store.get_subscriber(s, email="ada@example.org")
    assert sub is not None and sub.status == "pending" and sub.confirmed_at is None
    assert (sub.send_at, sub.timezone, sub.max_papers) == ("07:30", "Europe/Paris", 5)
    assert [e.recipient for e in outbox] == ["ada@example.org"]
    assert kind_of(outbox[0]) == "confirm"
    # a bounce of the confirmation (a mistyped address) comes back tagged for this subscriber
    assert BounceTags(SECRET, "digest@example.org").find(outbox[0].sender) == [(sub.id, None)]
    head = outbox[0].data.split(b"\r\n\r\n")[0]
    assert b"\r\nFeedback-ID: confirm:example.org\r\n" in head


def test_subscribe_without_csrf_is_refused_and_stores_nothing(client, engine):
    client.get("/")
    r = client.post("/", data=form())
    assert r.status_code == 400 and "expired" in r.text
    with Session(engine) as s:
        assert store.get_subscriber(s, email="ada@example.org") is None


def test_subscribe_with_csrf_from_another_browser_is_refused(client, make_client):
    token = csrf_of(make_client().get("/"))
    client.get("/")
    assert client.post("/", data=form(csrf=token)).status_code == 400


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-address", "invalid email"),
        ("keywords", "  ,  ", "interests: give at least one keyword"),
        ("send_at", "25:00", "send time"),
        ("timezone", "Mars/Olympus", "not a known time zone"),
        ("max_papers", "500", "not between 1 and 18"),
        ("frequency", "hourly", "choose daily or weekly"),
        ("keywords", 'a "broken phrase', "unbalanced quote"),
    ],
)
def test_bad_input_is_explained_on_the_page(client, engine, field, value, message):
    r = post_subscribe(client, **{field: value})
    assert r.status_code == 400
    assert message in r.text.replace("&#39;", "'").replace("&#34;", '"').lower()
    assert 'role="alert"' in r.text
    with Session(engine) as s:
        assert not list(s.exec(select(Subscriber)))


def test_values_are_escaped_when_the_form_is_shown_again(client):
    r = post_subscribe(client, email="x", keywords="<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_existing_address_gets_same_page_and_a_manage_link(client, engine, now, outbox):
    sub = add_subscriber(engine, now, email="ada@example.org")
    new = post_subscribe(client, keywords="something else")
    assert new.status_code == 200
    fresh_page = post_subscribe(client, email="carol@example.org")
    assert new.text.replace("ada@", "carol@") == fresh_page.text  # nothing reveals existence
    assert load(engine, sub.id).keywords == "OOD"  # the anonymous form changes nothing
    assert [kind_of(e) for e in outbox] == ["manage", "confirm"]
    assert [e.recipient for e in outbox] == ["ada@example.org", "carol@example.org"]


def test_honeypot_field_stores_nothing(client, engine, outbox):
    r = post_subscribe(client, website="http://spam.example")
    assert r.status_code == 200
    with Session(engine) as s:
        assert not list(s.exec(select(Subscriber)))
    assert outbox == []


def test_rate_limits_per_client_and_per_address_survive_a_restart(make_client, clock, outbox):
    limits = Limits(subscribe_per_ip=Limit(3, 3600), subscribe_per_address=Limit(2, 86400))
    client = make_client(limits)
    assert post_subscribe(client).status_code == 200
    assert post_subscribe(client).status_code == 200
    r = post_subscribe(client)
    assert r.status_code == 429 and "already sent several emails" in r.text
    restarted = make_client(limits)  # a new process: the counters live in the database
    r = post_subscribe(restarted, email="eve@example.org")
    assert r.status_code == 429 and "Too many sign-ups" in r.text
    clock.now += timedelta(hours=1)
    assert post_subscribe(restarted, email="eve@example.org").status_code == 200


def test_email_limit_per_address_stops_sending_and_the_page_says_so(make_client, outbox):
    limits = Limits(emails_per_address=Limit(1, 3600))
    client = make_client(limits)
    assert post_subscribe(client).status_code == 200
    r = post_subscribe(client)
    assert r.status_code == 429
    assert "will not send another now" in r.text and "Check your inbox" not in r.text
    assert len(outbox) == 1


def test_counter_rows_hold_one_window_per_key(make_client, engine, clock):
    client = make_client()
    post_subscribe(client)
    with Session(engine) as s:
        keys = {c.key: c.count for c in s.exec(select(Counter))}
    assert keys["subscribe:to:ada@example.org"] == 1
    assert keys["email:to:ada@example.org"] == 1
    assert any(k.startswith("subscribe:ip:") for k in keys)


# --------------------------------------------------------------------------- confirm


def test_confirm_get_changes_nothing_post_activates(client, engine, now):
    sub = add_subscriber(engine, now, status="pending")
    path = "/confirm/" + LINKS.confirm(sub.public_id, sub.email).rsplit("/", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and "Confirm your subscription" in page.text
    assert load(engine, sub.id).status == "pending"
    r = client.post(path, data={"csrf": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"].startswith("/manage/")
    after = load(engine, sub.id)
    assert after.status == "active" and after.confirmed_at == now
    welcome = client.get(r.headers["location"])
    assert "subscription is confirmed" in welcome.text
    assert client.get(path).headers["location"].startswith("/manage/")  # second click


def test_expired_confirm_link_is_refused(client, engine, now, monkeypatch):
    sub = add_subscriber(engine, now, status="pending")
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 4 * 86400)
    token = make_token(SECRET, "confirm", s=sub.public_id, e=sub.email, v=0)
    monkeypatch.undo()
    assert client.get(f"/confirm/{token}").status_code == 400
    page = client.get("/")
    assert client.post(f"/confirm/{token}", data={"csrf": csrf_of(page)}).status_code == 400
    assert load(engine, sub.id).status == "pending"


# --------------------------------------------------------------------------- forged links


def _bad_tokens(purpose: str, sub: Subscriber, other: Subscriber) -> dict[str, str]:
    extra = {
        "confirm": {"e": sub.email, "v": 0},
        "view": {"d": "2026-03-01", "v": 0},
    }.get(purpose, {"v": 0})
    pid = sub.public_id
    good = make_token(SECRET, purpose, s=pid, **extra)
    tokens = {
        "altered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "forged": make_token("another-secret-0123456789abcdef", purpose, s=pid, **extra),
        "other purpose": make_token(
            SECRET, "manage" if purpose != "manage" else "unsubscribe", s=pid, **extra
        ),
        "revoked": make_token(SECRET, purpose, s=pid, **{**extra, "v": 1}),
        "no version": make_token(SECRET, purpose, s=pid, **{**extra, "v": None}),
        "unknown subscriber": make_token(SECRET, purpose, s="NoSuchPublicId00", **extra),
        "row number": make_token(SECRET, purpose, s=sub.id, **extra),
        "row number as text": make_token(SECRET, purpose, s=str(sub.id), **extra),
        "garbage": "not-a-token",
        "foreign payload": make_token(SECRET, purpose, s=[other.public_id], **extra),
    }
    if purpose == "confirm":
        tokens["other address"] = make_token(SECRET, purpose, s=pid, e="x@else.org", v=0)
    if purpose == "view":
        tokens["another day"] = make_token(SECRET, purpose, s=pid, d="2026-03-02", v=0)
        tokens["no day"] = make_token(SECRET, purpose, s=pid, d=1, v=0)
    return tokens


@pytest.mark.parametrize("path", ["manage", "unsubscribe", "feedback", "view", "feed", "confirm"])
def test_forged_links_get_a_plain_400_and_change_nothing(client, engine, now, path):
    sub = add_subscriber(engine, now)
    other = add_subscriber(engine, now, email="other@example.org")
    with Session(engine) as s:  # a paper and a digest exist, so only the token is wrong
        store.insert_papers(s, papers=[listed("2603.00001")], now=now)
        s.add(
            Delivery(
                subscriber_id=sub.id,
                digest_date=date(2026, 3, 1),
                status="sent",
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        s.add(SentPaper(subscriber_id=sub.id, paper_id="2603.00001", sent_at=now))
        s.commit()
    csrf = csrf_of(client.get("/"))
    query = "?paper=2603.00001&vote=more" if path == "feedback" else ""
    for name, token in _bad_tokens(path, sub, other).items():
        got = client.get(f"/{path}/{token}{query}")
        assert got.status_code == 400, name
        assert "This link is not valid" in got.text and sub.email not in got.text
        assert got.headers["x-frame-options"] == "DENY"
        posted = client.post(f"/{path}/{token}{query}", data=form(csrf=csrf) | ONE_CLICK)
        assert posted.status_code in (400, 405), name
    after = load(engine, sub.id)
    assert (after.status, after.keywords, after.send_at) == ("active", "OOD", "07:00")
    with Session(engine) as s:
        assert not list(s.exec(select(Feedback)))


# --------------------------------------------------------------------------- manage


def manage_path(sub: Subscriber) -> str:
    return "/manage/" + LINKS.manage(sub.public_id, sub.token_version).rsplit("/", 1)[1]


def test_manage_page_edits_preferences(client, engine, now):
    sub = add_subscriber(engine, now)
    path = manage_path(sub)
    page = client.get(path)
    assert page.status_code == 200 and "bob@example.org" in page.text
    data = form(keywords="RLHF^2, -survey", exclude="benchmark", frequency="paused")
    r = client.post(path, data=data | {"csrf": csrf_of(page), "email": "evil@example.org"})
    assert r.status_code == 303 and r.headers["location"] == path + "?saved=1"
    after = load(engine, sub.id)
    assert (after.email, after.keywords, after.exclude) == (
        "bob@example.org",
        "RLHF^2, -survey",
        "benchmark",
    )
    assert (after.send_at, after.timezone, after.frequency, after.max_papers) == (
        "07:30",
        "Europe/Paris",
        "paused",
        5,
    )
    assert "preferences are saved" in client.get(r.headers["location"]).text


def manage_page_with(client, engine, now, keywords: str) -> httpx.Response:
    """The manage page of a new subscriber whose interests are `keywords`."""
    sub = add_subscriber(engine, now)
    with Session(engine) as s:
        row = s.get(Subscriber, sub.id)
        row.keywords = keywords
        s.add(row)
        s.commit()
    return client.get(manage_path(sub))


def test_manage_page_names_an_interest_that_matches_nothing(client, engine, now):
    with Session(engine) as s:
        store.insert_papers(
            s,
            papers=[
                listed(f"2603.{n:05d}", title=f"OOD detection study {n}", listing_day=now.date())
                for n in range(1, 26)
            ],
            now=now,
        )
        s.commit()
    page = manage_page_with(client, engine, now, "OOD, quantum error correction")
    assert page.status_code == 200
    hint = page.text.split('id="quiet-hint"')[1].split("</p>")[0]
    assert "No match among these 25 papers for quantum error correction" in hint
    assert "OOD" not in hint


def test_manage_rejects_bad_input_and_missing_csrf(client, engine, now):
    sub = add_subscriber(engine, now)
    path = manage_path(sub)
    csrf = csrf_of(client.get(path))
    r = client.post(path, data=form(timezone="Nowhere/Land") | {"csrf": csrf})
    assert r.status_code == 400 and "not a known time zone" in r.text
    r = client.post(path, data=form(keywords="new"))
    assert r.status_code == 400 and "expired" in r.text
    assert load(engine, sub.id).keywords == "OOD"


def test_manage_lists_last_digests_with_web_copies(client, engine, now):
    sub = add_subscriber(engine, now)
    with Session(engine) as s:
        store.insert_papers(s, papers=[listed("2603.00001"), listed("2603.00002")], now=now)
        for n, status in enumerate(["sent", "failed"]):
            s.add(
                Delivery(
                    subscriber_id=sub.id,
                    digest_date=date(2026, 3, 1 + n),
                    status=status,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                    sent_at=now,
                    paper_ids=["2603.00001", "2603.00002"] if status == "sent" else [],
                )
            )
        s.commit()
    page = client.get(manage_path(sub))
    assert "2026-03-01" in page.text and "2026-03-02" in page.text
    views = re.findall(r'href="(/view/[^"]+)"', page.text)
    assert len(views) == 1
    copy = client.get(views[0])
    assert copy.status_code == 200
    text = copy.text
    assert 0 < text.index("A paper 2603.00001") < text.index("A paper 2603.00002")  # as sent
    assert text.count(f"{BASE}/feedback/") == 4 and f"{BASE}/unsubscribe/" in text
    assert "<script" not in text.lower()
    assert copy.headers["content-security-policy"].startswith("default-src 'none'")
    assert copy.headers["x-frame-options"] == "DENY"


# --------------------------------------------------------------------------- unsubscribe


def unsubscribe_path(sub: Subscriber) -> str:
    return "/unsubscribe/" + LINKS.unsubscribe(sub.public_id, sub.token_version).rsplit("/", 1)[1]


def test_rfc8058_one_click_post_unsubscribes_without_cookie_or_csrf(engine, now, clock, client):
    sub = add_subscriber(engine, now)
    fresh = TestClient(client.app, base_url=BASE)
    r = fresh.post(
        unsubscribe_path(sub),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200 and "set-cookie" not in r.headers
    after = load(engine, sub.id)
    assert after.status == "unsubscribed" and after.unsubscribed_at == now
    clock.now = now + timedelta(days=1)
    again = fresh.post(unsubscribe_path(sub), data=ONE_CLICK)
    assert again.status_code == 200
    assert load(engine, sub.id).unsubscribed_at == now  # idempotent: first time recorded


def test_unsubscribe_page_button_and_resubscribe(client, engine, now):
    sub = add_subscriber(engine, now)
    path = unsubscribe_path(sub)
    page = client.get(path)
    assert page.status_code == 200 and "Unsubscribe" in page.text
    assert load(engine, sub.id).status == "active"  # a GET (mail scanner) changes nothing
    assert client.post(path, data={}).status_code == 200  # no CSRF, not one-click: button again
    assert load(engine, sub.id).status == "active"
    done = client.post(path, data={"csrf": csrf_of(page)})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert load(engine, sub.id).status == "unsubscribed"
    assert "already unsubscribed" in client.get(path).text
    back = client.post(path + "/undo", data={"csrf": csrf_of(done)})
    assert back.status_code == 303 and back.headers["location"].startswith("/manage/")
    after = load(engine, sub.id)
    assert after.status == "active" and after.unsubscribed_at is None


# --------------------------------------------------------------------------- feedback


def sent_paper(engine, sub: Subscriber, now, paper_id: str, **paper) -> None:
    """`paper_id` stored and recorded as sent to `sub` (as a digest's delivery records it)."""
    with Session(engine) as s:
        store.insert_papers(s, papers=[listed(paper_id, **paper)], now=now)
        s.add(SentPaper(subscriber_id=sub.id, paper_id=paper_id, sent_at=now))
        s.commit()


def feedback_path(sub: Subscriber, paper_id: str, vote: int) -> str:
    url = urlsplit(LINKS.feedback(sub.public_id, paper_id, vote, sub.token_version))
    return f"{url.path}?{url.query}"


def test_feedback_confirm_record_list_and_undo(client, engine, now):
    sub = add_subscriber(engine, now)
    sent_paper(engine, sub, now, "2603.00007", title="Flows <b>rock</b>")
    path = feedback_path(sub, "2603.00007", -1)
    assert path.endswith("?paper=2603.00007&vote=less")
    page = client.get(path)
    assert page.status_code == 200 and "Not for me" in page.text
    assert "Flows &lt;b&gt;rock&lt;/b&gt;" in page.text
    with Session(engine) as s:
        assert not list(s.exec(select(Feedback)))
    done = client.post(path, data={"csrf": csrf_of(page)})
    assert done.status_code == 200 and "Thanks" in done.text
    with Session(engine) as s:
        assert [(f.paper_id, f.vote) for f in s.exec(select(Feedback))] == [("2603.00007", -1)]
    manage = client.get(manage_path(sub))
    assert "not for me" in manage.text and "Flows &lt;b&gt;rock" in manage.text
    r = client.post(
        manage_path(sub) + "/undo", data={"csrf": csrf_of(manage), "paper_id": "2603.00007"}
    )
    assert r.status_code == 303
    with Session(engine) as s:
        assert not list(s.exec(select(Feedback)))


def test_feedback_on_a_paper_not_sent_to_the_subscriber_is_refused(client, engine, now):
    sub = add_subscriber(engine, now)
    other = add_subscriber(engine, now, email="other@example.org")
    sent_paper(engine, sub, now, "2603.00007")
    sent_paper(engine, other, now, "2603.00008")  # stored and sent, but to someone else
    csrf = csrf_of(client.get("/"))
    good = feedback_path(sub, "2603.00007", 1)
    for forged in (
        good.replace("2603.00007", "2603.00008"),
        good.replace("2603.00007", "2603.99999"),  # no such paper at all
    ):
        got = client.get(forged)
        assert got.status_code == 400
        assert "was not in a digest sent to you" in got.text and "Nothing was changed" in got.text
        assert sub.email not in got.text
        assert client.post(forged, data={"csrf": csrf}).status_code == 400
    for broken in (good.split("?")[0], good.replace("vote=more", "vote=up")):
        got = client.get(broken)
        assert got.status_code == 400 and "This link is not valid" in got.text, broken
    with Session(engine) as s:
        assert not list(s.exec(select(Feedback)))
    assert client.get(good).status_code == 200  # the real link still works


# --------------------------------------------------------------------------- feed


def test_atom_feed_lists_sent_digests(client, engine, now):
    sub = add_subscriber(engine, now)
    with Session(engine) as s:
        store.insert_papers(s, papers=[listed("2603.00001", title="A & B")], now=now)
        for day in (1, 2):
            s.add(
                Delivery(
                    subscriber_id=sub.id,
                    digest_date=date(2026, 3, day),
                    status="sent",
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                    sent_at=now + timedelta(days=day),
                    paper_ids=["2603.00001"],
                )
            )
        s.commit()
    r = client.get("/feed/" + LINKS.feed(sub.public_id).rsplit("/", 1)[1])
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(r.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    for tag in ("id", "title", "updated", "author/a:name"):
        assert root.find(f"a:{tag}", ns) is not None, tag
    entries = root.findall("a:entry", ns)
    assert [e.findtext("a:title", namespaces=ns) for e in entries] == [
        "Digest of 2026-03-02: 1 paper",
        "Digest of 2026-03-01: 1 paper",
    ]
    first = entries[0]
    assert first.findtext("a:updated", namespaces=ns) == "2026-03-06T06:00:00Z"
    assert "A &amp; B" in (first.findtext("a:content", namespaces=ns) or "")
    alternate = first.find("a:link[@rel='alternate']", ns)
    assert alternate is not None and alternate.get("href", "").startswith(f"{BASE}/view/")
    assert len({e.findtext("a:id", namespaces=ns) for e in entries}) == 2


def test_feed_and_web_copy_link_each_paper_where_its_listing_is(client, engine, now):
    sub = add_subscriber(engine, now)
    with Session(engine) as s:
        store.insert_papers(
            s,
            papers=[
                listed("2603.00001", title="Diffusion on Hugging Face", upvotes=17),
                listed(
                    "2603.00002",
                    title="Diffusion announced by arXiv",
                    source="arxiv",
                    categories=("cs.LG", "stat.ML"),
                    upvotes=0,
                ),
            ],
            now=now,
        )
        delivery = Delivery(
            subscriber_id=sub.id,
            digest_date=date(2026, 3, 4),
            status="sent",
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
            sent_at=now,
            paper_ids=["2603.00001", "2603.00002"],
        )
        s.add(delivery)
        s.commit()
        s.refresh(delivery)
    r = client.get("/feed/" + LINKS.feed(sub.public_id).rsplit("/", 1)[1])
    ns = {"a": "http://www.w3.org/2005/Atom"}
    (entry,) = ET.fromstring(r.content).findall("a:entry", ns)
    related = [link.get("href") for link in entry.findall("a:link[@rel='related']", ns)]
    assert related == [
        "https://huggingface.co/papers/2603.00001",
        "https://arxiv.org/abs/2603.00002",
    ]
    view = client.get(urlsplit(LINKS.view(sub.public_id, delivery.digest_date)).path)
    assert view.status_code == 200
    assert "&#9650; 17" in view.text  # Hugging Face's upvotes
    assert 'class="categories">cs.LG, stat.ML<' in view.text  # the arXiv-only paper's
    assert view.text.count("&#9650;") == 1
    assert 'href="https://arxiv.org/pdf/2603.00002"' in view.text


def test_preview_shows_where_each_paper_comes_from(client, engine, now):
    today = now.date()
    with Session(engine) as s:
        store.insert_papers(
            s,
            papers=[
                listed(
                    "2603.00001", title="Diffusion models on the hub", listing_day=today, upvotes=9
                ),
                listed(
                    "2603.00002",
                    title="Diffusion models from arXiv",
                    listing_day=today,
                    source="arxiv",
                    categories=("cs.CV",),
                    upvotes=0,
                ),
            ],
            now=now,
        )
        s.commit()
    papers = client.get("/preview", params={"keywords": "diffusion models"}).json()["papers"]
    shown = {p["id"]: (p["source"], p["upvotes"], p["categories"]) for p in papers}
    assert shown == {
        "2603.00001": ("hf", 9, []),
        "2603.00002": ("arxiv", None, ["cs.CV"]),
    }


def test_view_link_of_another_subscribers_digest_is_refused(client, engine, now):
    mine = add_subscriber(engine, now)
    theirs = add_subscriber(engine, now, email="other@example.org")
    with Session(engine, expire_on_commit=False) as s:
        d = Delivery(
            subscriber_id=theirs.id,
            digest_date=date(2026, 3, 1),
            status="sent",
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        s.add(d)
        s.commit()
    token = LINKS.view(mine.public_id, d.digest_date).rsplit("/", 1)[1]
    assert client.get(f"/view/{token}").status_code == 400


# --------------------------------------------------------------------------- serving


def test_app_refuses_a_placeholder_secret(sqlite_engine):
    from digest.config import ConfigError

    with pytest.raises(ConfigError, match="DIGEST_SECRET_KEY"):
        create_app(replace(SETTINGS, secret_key="change-me"), sqlite_engine)


def test_start_in_thread_serves_over_real_http(sqlite_engine):
    server, thread = start_in_thread(SETTINGS, sqlite_engine, "127.0.0.1", 0)
    try:
        port = server.servers[0].sockets[0].getsockname()[1]
        r = httpx.get(f"http://127.0.0.1:{port}/static/style.css")
        assert r.status_code == 200 and "font-family" in r.text
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "public, max-age=3600"
        page = httpx.get(f"http://127.0.0.1:{port}/")
        assert page.headers["cache-control"] == "no-store"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_serve_command_is_registered_and_needs_a_secret():
    from click.testing import CliRunner

    from digest.cli import cli
    from digest.cli.app import App

    runner = CliRunner()
    assert runner.invoke(cli, ["serve", "--help"]).exit_code == 0
    app = App(settings_factory=lambda: Settings(secret_key="change-me"))
    result = runner.invoke(cli, ["serve"], obj=app)
    assert result.exit_code == 2 and "DIGEST_SECRET_KEY" in result.output


# --------------------------------------------------------------------------- preview


def test_preview_ranks_this_weeks_papers_for_the_typed_interests(client, engine, now):
    today = now.date()
    with Session(engine) as s:
        store.insert_papers(
            s,
            papers=[
                listed(
                    "2603.00001", title="Diffusion models for anomaly detection", listing_day=today
                ),
                listed("2603.00002", title="A survey of diffusion models", listing_day=today),
                listed("2603.00003", title="Graph neural networks at scale", listing_day=today),
                listed(
                    "2602.00004",
                    title="Old diffusion paper",
                    listing_day=today - timedelta(days=8),
                ),
            ],
            now=now,
        )
        s.commit()
    r = client.get("/preview", params={"keywords": "diffusion", "exclude": ""})
    assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff"
    data = r.json()
    assert data["error"] == "" and data["days"] == 7 and data["top"] == 10
    assert {p["id"] for p in data["papers"]} == {"2603.00001", "2603.00002"}
    assert all(p["matched"] == ["diffusion"] for p in data["papers"])
    excluded = client.get("/preview", params={"keywords": "diffusion", "exclude": "survey"})
    assert [p["id"] for p in excluded.json()["papers"]] == ["2603.00001"]
    assert data["near"] == []  # every paper holding "diffusion" qualified
    bad = client.get("/preview", params={"keywords": 'a "broken'}).json()
    assert bad["papers"] == [] and bad["near"] == [] and "unbalanced quote" in bad["error"]


def test_preview_lists_near_misses_with_the_words_they_hold(client, engine, now):
    today = now.date()
    with Session(engine) as s:
        store.insert_papers(
            s,
            papers=[
                listed(
                    "2603.00001",
                    title="Speculative decoding with a tiny draft model",
                    abstract="A draft model proposes tokens; speculative decoding verifies them.",
                    listing_day=today,
                ),
                listed(
                    "2603.00002",
                    title="Masked diffusion language models",
                    abstract="Decoding many tokens in parallel. Quality holds.",
                    listing_day=today,
                ),
                listed("2603.00003", title="Graph neural networks at scale", listing_day=today),
            ],
            now=now,
        )
        s.commit()
    data = client.get("/preview", params={"keywords": "speculative decoding"}).json()
    assert [p["id"] for p in data["papers"]] == ["2603.00001"]
    # one word of the interest is never a match: shown apart, with the word it holds
    assert data["near"] == [
        {
            "id": "2603.00002",
            "title": "Masked diffusion language models",
            "found": [{"interest": "speculative decoding", "words": ["Decoding"]}],
        }
    ]


def test_preview_says_when_an_interest_is_very_broad(client, engine, now):
    today = now.date()
    with Session(engine) as s:
        store.insert_papers(
            s,
            papers=[
                listed(f"2603.{n:05d}", title=f"LLM study {n}" if n < 8 else f"Graphs {n}",
                       listing_day=today)
                for n in range(1, 31)
            ],
            now=now,
        )  # fmt: skip
        s.commit()
    both = client.get("/preview", params={"keywords": "LLM, speculative decoding"}).json()
    assert "Very broad: LLM (23% of these papers)" in both["broad"]
    assert "+" in both["broad"]
    alone = client.get("/preview", params={"keywords": "LLM"}).json()
    assert alone["broad"] == ""  # a single broad interest is what was meant
    # an interest that matches none of the week's papers is named
    assert both["quiet"].startswith("No match among these 30 papers for speculative decoding:")
    assert alone["quiet"] == ""
    assert both["ambiguous"] == ""


def test_preview_and_manage_page_name_an_acronym_of_several_meanings(client, engine, now):
    with Session(engine) as s:
        store.insert_papers(s, papers=[listed(f"2603.{n:05d}") for n in range(1, 6)], now=now)
        store.save_acronyms(
            s,
            counts={("MLM", "masked language model"): 3, ("MLM", "multimodal language model"): 2},
            now=now,
        )
        s.commit()
    note = client.get("/preview", params={"keywords": "MLM, OOD"}).json()["ambiguous"]
    assert note.startswith("More than one meaning in papers: MLM is masked language model or ")
    page = manage_page_with(client, engine, now, "MLM")
    hint = page.text.split('id="ambiguous-hint"')[1].split("</p>")[0]
    assert "MLM is masked language model or multimodal language model" in hint
