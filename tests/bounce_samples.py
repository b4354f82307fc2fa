"""Real-format bounce reports (tests/data/bounces/*.eml) with the addresses filled in.

hard_5.1.1     Postfix DSN, 550 5.1.1 user unknown; quotes nothing of the digest: only the
               address it was delivered to (the VERP envelope sender) names the subscriber
soft_4.2.2     Postfix DSN given up after days of 452 4.2.2 (mailbox full), quoting headers
complaint_arf  Yahoo-style ARF abuse report, recipient redacted; Original-Mail-From is the
               VERP address
qmail          qmail's own text format (QSBMF), sent to the plain return path: only the
               address it names, found by flufl.bounce, says who
unreadable     a truncated report with a binary part: no recipient, no status
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data" / "bounces"
NAMES = ("hard_5.1.1", "soft_4.2.2", "complaint_arf", "qmail", "unreadable")


def sample(name: str, **values: object) -> bytes:
    """The report with `{verp}`, `{rcpt}`, `{id}` replaced, lines ending in CRLF."""
    raw = (DATA / f"{name}.eml").read_bytes()
    for key, value in values.items():
        raw = raw.replace(b"{" + key.encode() + b"}", str(value).encode())
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
