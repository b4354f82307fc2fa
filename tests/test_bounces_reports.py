"""Reading bounce reports (pure) and the sealed VERP tags that name their subscriber."""

from __future__ import annotations

import random
from datetime import date

import pytest

from digest.bounces.reports import classify, read_report
from digest.tokens import BadToken, BounceTags
from tests.bounce_samples import NAMES, sample

TAGS = BounceTags("k" * 32, "bounces@example.org")
DAY = date(2026, 3, 4)


# --------------------------------------------------------------------------- tags


def test_a_tag_names_subscriber_and_date_and_reads_back_from_any_case():
    address = TAGS.address(123456, DAY)
    local, domain = address.split("@")
    assert domain == "example.org" and local.startswith("bounces+") and len(local) <= 64
    tag = local.split("+", 1)[1]
    assert TAGS.read(tag) == (123456, DAY) and TAGS.read(tag.upper()) == (123456, DAY)
    assert TAGS.find(f"Delivered-To: <{address.upper()}>") == [(123456, DAY)]
    assert TAGS.read(TAGS.tag(7)) == (7, None)  # a confirmation email: no digest date
    # the same digest always gets the same address; another digest or subscriber another one
    assert TAGS.address(123456, DAY) == address
    assert (
        len({TAGS.tag(123456, DAY), TAGS.tag(123457, DAY), TAGS.tag(123456, date(2026, 3, 5))}) == 3
    )


def test_a_tag_is_opaque_and_cannot_be_forged_or_read_with_another_secret():
    tag = TAGS.tag(42, DAY)
    assert "42" not in tag and "2026" not in tag
    with pytest.raises(BadToken):
        BounceTags("another-secret-of-32-characters!").read(tag)
    flipped = tag[:-1] + ("a" if tag[-1] != "a" else "b")
    with pytest.raises(BadToken):
        TAGS.read(flipped)
    with pytest.raises(BadToken):
        TAGS.read("not-base32!")
    rng = random.Random(16)
    forged = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(24))
        for _ in range(2000)
    ]
    assert TAGS.find(" ".join(f"bounces+{f}@example.org" for f in forged)) == []


# --------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("status", "action", "kind"),
    [
        ("5.1.1", "failed", "hard"),  # no such user
        ("5.1.10", "failed", "hard"),  # null MX
        ("5.4.4", "failed", "hard"),  # no route to the domain
        ("5.2.1", "failed", "hard"),  # mailbox disabled
        ("4.2.2", "failed", "soft"),  # mailbox full, given up after retries
        ("4.4.7", "failed", "soft"),  # expired in the queue
        ("5.2.2", "failed", "soft"),  # over quota, said permanently
        ("5.7.1", "failed", "soft"),  # blocked by policy: about the sender, not the address
        ("5.3.4", "failed", "soft"),  # message too big
        ("4.4.1", "delayed", None),  # a delay warning: still trying
        ("2.0.0", "delivered", None),
        ("2.0.0", "relayed", None),
        (None, "failed", "hard"),
        (None, "error", "hard"),  # opensmtpd's non-standard action
        ("5.1.1 (bad destination mailbox address)", "failed (bad)", "hard"),
    ],
)
def test_status_codes(status, action, kind):
    assert classify(status, action) == kind


# --------------------------------------------------------------------------- real formats


def test_hard_bounce_dsn_that_quotes_nothing_is_matched_by_its_tag():
    verp = TAGS.address(5, DAY)
    report = read_report(sample("hard_5.1.1", verp=verp, rcpt="a.l@forward.example.net"), tags=TAGS)
    assert (report.kind, report.status) == ("hard", "5.1.1")
    assert report.emails == ("a.l@forward.example.net",)
    assert report.tagged == ((5, DAY),)
    assert report.detail is not None and "User unknown" in report.detail
    assert report.key == "msg:<20260304070005.3F1A2C0123@mail.example.org>"


def test_soft_bounce_dsn():
    report = read_report(
        sample("soft_4.2.2", verp=TAGS.address(9, DAY), rcpt="bob@example.org", id=9), tags=TAGS
    )
    assert (report.kind, report.status, report.emails) == ("soft", "4.2.2", ("bob@example.org",))
    assert report.tagged == ((9, DAY),)


def test_arf_complaint_with_the_recipient_redacted():
    report = read_report(sample("complaint_arf", verp=TAGS.address(3, DAY)), tags=TAGS)
    assert report.kind == "complaint" and report.tagged == ((3, DAY),)
    assert report.detail == "abuse report from Yahoo!-Mail-Feedback/2.0"


def test_non_standard_qmail_bounce_through_flufl_bounce():
    report = read_report(sample("qmail", rcpt="dan@example.org"), tags=TAGS)
    assert (report.kind, report.emails, report.tagged) == ("hard", ("dan@example.org",), ())


def test_unreadable_report():
    report = read_report(sample("unreadable"), tags=TAGS)
    assert report.kind == "unreadable" and report.key.startswith("sha256:")
    assert "Returned mail: see transcript" in (report.detail or "")


def test_delay_warnings_successes_auto_replies_and_other_feedback_are_not_failures():
    delayed = (
        sample("soft_4.2.2", verp=TAGS.address(9, DAY), rcpt="bob@example.org", id=9)
        .replace(b"Action: failed", b"Action: delayed")
        .replace(b"Status: 4.2.2", b"Status: 4.4.1")
    )
    assert read_report(delayed, tags=TAGS).kind == "ignored"
    delivered = sample("hard_5.1.1", verp="x@example.org", rcpt="a@example.net").replace(
        b"Action: failed\r\nStatus: 5.1.1", b"Action: delivered\r\nStatus: 2.0.0"
    )
    assert read_report(delivered).kind == "ignored"
    auto = b"From: ada@example.net\r\nTo: bounces@example.org\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nI am away until Monday.\r\n"
    assert read_report(auto).kind == "ignored"
    not_spam = sample("complaint_arf", verp="x@example.org").replace(
        b"Feedback-Type: abuse", b"Feedback-Type: not-spam"
    )
    assert read_report(not_spam).kind == "ignored"


def test_a_tag_in_a_quoted_printable_part_is_found():
    verp = TAGS.address(77, DAY)
    folded = verp[:30] + "=\r\n" + verp[30:]  # a soft line break inside the address
    raw = (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: bounces@example.org\r\nSubject: failure notice\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Hi. This is the qmail-send program at mx.example.com.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
        "<old@example.net>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        f"--- Below this line is a copy of the message.\r\n\r\nReturn-Path: <{folded}>\r\n"
    ).encode()
    report = read_report(raw, tags=TAGS)
    assert report.kind == "hard" and report.tagged == ((77, DAY),)


@pytest.mark.parametrize("name", NAMES)
def test_reading_never_raises_on_damaged_reports(name):
    raw = sample(name, verp=TAGS.address(1, DAY), rcpt="a@example.org", id=1)
    rng = random.Random(name)
    for _ in range(60):
        data = bytearray(raw)
        for _ in range(rng.randint(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        cut = bytes(data[: rng.randrange(len(data) + 1)])
        report = read_report(cut, tags=TAGS)
        assert report.kind in ("hard", "soft", "complaint", "ignored", "unreadable")
        assert report.key
    assert read_report(b"", tags=TAGS).kind == "unreadable"
    assert read_report(bytes(range(256)) * 4, tags=TAGS).kind == "unreadable"
