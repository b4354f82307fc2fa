"""The whole web flow in headless chromium against uvicorn and a real SMTP server on loopback.

Screenshots of every page at desktop and phone widths go to /tmp/digest-shots/ (not the repo).
"""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest
from sqlmodel import Session, select

from digest import store
from digest.config import Settings
from digest.store.tables import Delivery, Feedback, SentPaper, Subscriber
from digest.tokens import Links
from digest.web.app import start_in_thread
from tests.conftest import missing
from tests.factories import listed
from tests.smtp_server import SmtpServer, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path("/tmp/digest-shots")
SECRET = "browser-test-secret-0123456789abcdef"
WIDTHS = (1280, 375)


@pytest.fixture(autouse=True)
def _chromium() -> None:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        missing(f"{CHROMIUM} is missing: install Debian's chromium")


def wait_for_mail(server: SmtpServer, count: int) -> EmailMessage:
    """The count-th message the SMTP server accepted (the page mails in the background)."""
    deadline = time.monotonic() + 15
    while len(server.received) < count:
        assert time.monotonic() < deadline, f"expected {count} emails, got {len(server.received)}"
        time.sleep(0.05)
    data = server.received[count - 1].data
    return email.message_from_bytes(data, policy=email.policy.default)


def link_in(msg: EmailMessage, path: str) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    found = re.search(rf"https?://\S+/{path}/[\w.\-]+(?:\?\S+)?", body.get_content())
    assert found, f"no /{path}/ link in the email"
    return found.group(0)


@pytest.fixture
def site(sqlite_engine, smtp_server):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        secret_key=SECRET,
        mail_from="digest@example.org",
        base_url=base,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_timeout=10,
        explicit=frozenset({"DIGEST_BASE_URL"}),  # links may point at this local server
    )
    now = datetime.now(UTC)
    with Session(sqlite_engine) as s:
        papers = [
            # abstracts about their titles: an interest must be central to a paper to match
            listed(
                "2611.00001",
                title="Diffusion models for out-of-distribution detection",
                abstract="Diffusion models reconstruct in-distribution images well. We flag "
                "inputs that diffusion reconstructs poorly as out-of-distribution.",
            ),
            listed(
                "2611.00002",
                title="Knowledge distillation of diffusion transformers",
                abstract="We distill large diffusion transformers into small students. The "
                "students keep most of the diffusion quality.",
            ),
            listed(
                "2611.00003",
                title="A survey of graph neural networks",
                abstract="We survey graph neural networks. We also list open problems.",
            ),
            # unrelated papers, so "diffusion" is rare enough to pass the ranking's minimum
            *(listed(f"2611.0001{k}", title=f"Crop rotation in region {k}") for k in range(5)),
        ]
        papers = [p.__class__(**{**p.__dict__, "listing_day": now.date()}) for p in papers]
        store.insert_papers(s, papers=papers, now=now - timedelta(days=1))
        s.commit()
    server, thread = start_in_thread(settings, sqlite_engine, "127.0.0.1", port)
    try:
        yield base, smtp_server, settings
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = b.new_context(timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900})
        try:
            yield context.new_page()
        finally:
            context.close()
            b.close()


def shoot(page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def subscriber(engine, address: str) -> Subscriber:
    with Session(engine) as s:
        found = s.exec(select(Subscriber).where(Subscriber.email == address)).first()
        assert found is not None
        return found


def test_join_confirm_tune_feedback_and_leave(site, browser, sqlite_engine):
    base, smtp, _ = site
    page = browser
    links = Links(base, SECRET)

    # subscribe, with the live preview and the browser's time zone
    page.goto(base + "/")
    assert page.input_value("#timezone") == "Europe/Paris"
    page.fill("#email", "ada@example.org")
    # one word of an interest is no match: such papers are shown apart, with the word
    page.fill("#keywords", "diffusion language models")
    page.wait_for_selector("#near-list li")
    assert page.inner_text("#preview-status") == "No paper of the last 7 days matches yet."
    held = page.locator("#near-list li").all_inner_texts()
    assert any(
        t.startswith("Knowledge distillation of diffusion transformers")
        and "of diffusion language models" in t
        for t in held
    ), held
    shoot(page, "01-near-misses")
    page.fill("#keywords", "diffusion, -survey")
    page.wait_for_selector("#preview-list li")
    assert page.inner_text("#preview-count") == "This week: 2 matching papers (see the preview)"
    assert page.is_hidden("#near")  # every paper holding "diffusion" matches it
    previewed = page.locator("#preview-list li").all_inner_texts()
    assert any("out-of-distribution" in t for t in previewed)
    assert not any("survey" in t.lower().split("matched")[0] for t in previewed)
    page.fill("#send_at", "08:15")
    shoot(page, "01-subscribe")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Check your inbox")
    shoot(page, "02-check-inbox")
    pending = subscriber(sqlite_engine, "ada@example.org")
    assert (pending.status, pending.timezone, pending.send_at) == (
        "pending",
        "Europe/Paris",
        "08:15",
    )

    # the confirmation email, then its link
    confirm_mail = wait_for_mail(smtp, 1)
    assert confirm_mail["To"] == "ada@example.org"
    confirm_url = link_in(confirm_mail, "confirm")
    assert confirm_url.startswith(base + "/confirm/")
    page.goto(confirm_url)
    assert subscriber(sqlite_engine, "ada@example.org").status == "pending"
    shoot(page, "03-confirm")
    page.click("button[type=submit]")
    page.wait_for_selector("text=subscription is confirmed")
    assert subscriber(sqlite_engine, "ada@example.org").status == "active"
    # the manage page previews the interests as saved, and as they are edited
    page.wait_for_selector("#preview-list li")
    assert page.inner_text("#preview-count") == "This week: 2 matching papers (see the preview)"
    shoot(page, "04-manage-welcome")

    # change preferences
    page.fill("#keywords", '"knowledge distillation", diffusion^2')
    page.select_option("#timezone", "America/New_York")
    page.check("input[name=frequency][value=weekly]")
    page.fill("#max_papers", "7")
    page.click("#prefs-form button[type=submit]")
    page.wait_for_selector("text=preferences are saved")
    tuned = subscriber(sqlite_engine, "ada@example.org")
    assert (tuned.keywords, tuned.timezone, tuned.frequency, tuned.max_papers) == (
        '"knowledge distillation", diffusion^2',
        "America/New_York",
        "weekly",
        7,
    )
    page.fill("#keywords", 'diffusion, "unbalanced')
    page.click("#prefs-form button[type=submit]")
    page.wait_for_selector("text=unbalanced quote")
    shoot(page, "05-manage-error")
    assert subscriber(sqlite_engine, "ada@example.org").keywords.startswith('"knowledge')
    sub_id, pid = tuned.id, tuned.public_id
    assert sub_id is not None

    # a sent digest and feedback on one of its papers
    now = datetime.now(UTC)
    with Session(sqlite_engine) as s:
        s.add(
            Delivery(
                subscriber_id=sub_id,
                digest_date=now.date(),
                status="sent",
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
                sent_at=now,
                paper_ids=["2611.00002", "2611.00001"],
            )
        )
        for paper_id in ("2611.00002", "2611.00001"):  # as recording the delivery does
            s.add(SentPaper(subscriber_id=sub_id, paper_id=paper_id, sent_at=now))
        s.commit()
    page.goto(links.feedback(pid, "2611.00001", -1))
    shoot(page, "06-feedback-confirm")
    with Session(sqlite_engine) as s:
        assert not list(s.exec(select(Feedback)))
    page.click("button[type=submit]")
    page.wait_for_selector("text=Thanks, noted")
    shoot(page, "07-feedback-done")
    page.click("text=See or undo your feedback")
    page.wait_for_selector(".feedback li")
    shoot(page, "08-manage-with-digest-and-feedback")
    page.click("a:text('view')")
    page.get_by_role("link", name="Knowledge distillation of diffusion transformers").wait_for()
    assert page.locator("text=View in browser").count() == 0  # this is the browser copy
    shoot(page, "09-view")
    page.go_back()
    page.click(".feedback button")
    page.wait_for_selector("text=Feedback removed")
    with Session(sqlite_engine) as s:
        assert not list(s.exec(select(Feedback)))

    # leave with the button, come back, then leave with the mail client's one-click POST
    page.click("text=Unsubscribe")
    shoot(page, "10-unsubscribe")
    page.click("button.danger")
    page.wait_for_selector("text=You are unsubscribed")
    shoot(page, "11-unsubscribed")
    assert subscriber(sqlite_engine, "ada@example.org").status == "unsubscribed"
    page.click("text=Re-subscribe")
    page.wait_for_selector("text=Welcome back")
    assert subscriber(sqlite_engine, "ada@example.org").status == "active"
    one_click = httpx.post(
        links.unsubscribe(pid),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    gone = subscriber(sqlite_engine, "ada@example.org")
    assert gone.status == "unsubscribed" and gone.unsubscribed_at is not None

    # forged links: a plain 400 and nothing changes
    good = links.manage(pid)
    for forged in (good[:-4] + "AAAA", Links(base, "x" * 32).manage(pid), base + "/manage/x"):
        response = page.goto(forged)
        assert response is not None and response.status == 400
    shoot(page, "12-bad-link")
    forged_unsub = Links(base, "another-secret-0123456789abcdef").unsubscribe(pid)
    refused = httpx.post(forged_unsub, data={"List-Unsubscribe": "One-Click"})
    assert refused.status_code == 400
    assert subscriber(sqlite_engine, "ada@example.org").unsubscribed_at == gone.unsubscribed_at

    # subscribing again with the same address reveals nothing; the owner gets a manage link
    page.goto(base + "/")
    page.fill("#email", "ada@example.org")
    page.fill("#keywords", "anything")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Check your inbox")
    manage_mail = wait_for_mail(smtp, 2)
    assert link_in(manage_mail, "manage").startswith(base + "/manage/")
    assert subscriber(sqlite_engine, "ada@example.org").keywords.startswith('"knowledge')


def test_every_link_of_a_real_digest_email_works(site, browser, sqlite_engine):
    """The delivery pipeline mails a digest; its view, feed, feedback and unsubscribe work."""
    from digest.delivery import planning
    from digest.delivery.wiring import make_worker

    base, smtp, settings = site
    page = browser
    now = datetime.now(UTC)
    with Session(sqlite_engine) as s:
        s.add(
            Subscriber(
                email="bob@example.org",
                keywords="diffusion",
                status="active",
                send_at="00:00",
                timezone="UTC",
                created_at=now - timedelta(days=2),
                updated_at=now,
                confirmed_at=now - timedelta(days=2),
            )
        )
        s.commit()
    worker = make_worker(settings, sqlite_engine, clock=lambda: datetime.now(UTC))
    try:
        planning.plan(worker.db, now=now, email="bob@example.org")
        report = worker.run(until_idle=True)
    finally:
        worker.mailer.close()
        worker.db.close()
    assert report.counts.get("sent") == 1, report.line()
    digest = wait_for_mail(smtp, 1)
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    found = re.search(r"<(https?://[^>]+)>", str(digest["List-Unsubscribe"]))
    assert found and found.group(1).startswith(base + "/unsubscribe/")

    page.goto(link_in(digest, "view"))
    page.get_by_role("link", name="Diffusion models for out-of-distribution detection").wait_for()
    shoot(page, "13-view-of-a-real-digest")

    feed = httpx.get(link_in(digest, "feed"))
    assert feed.status_code == 200
    entries = ET.fromstring(feed.content).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 1

    page.goto(link_in(digest, "feedback"))  # the first paper's "more like this"
    page.click("button[type=submit]")
    page.wait_for_selector("text=Thanks, noted")
    with Session(sqlite_engine) as s:
        votes = [(f.vote, f.paper_id) for f in s.exec(select(Feedback))]
    assert len(votes) == 1 and votes[0][0] == 1

    one_click = httpx.post(
        found.group(1),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    assert subscriber(sqlite_engine, "bob@example.org").status == "unsubscribed"
