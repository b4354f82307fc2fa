"""Reading one message of the bounce mailbox: what it reports, about whom (pure: bytes in,
a `Report` out; no database, no network).

In order:
1. a delivery status notification (RFC 3464: multipart/report, message/delivery-status),
   read here for its status codes;
2. an abuse report (ARF, RFC 5965: message/feedback-report): a complaint;
3. any other bounce format Mailman's detectors know (flufl.bounce: qmail, Exim, Postfix's
   old text, Exchange, Yahoo, and heuristics), which give addresses but no status code;
4. an auto-reply (RFC 3834 Auto-Submitted) is not a failure; anything else is unreadable,
   kept in the mailbox for a person.

What is a hard bounce: a permanent failure about the address (5.x.x). Some 5.x.x codes say
more about the sender or the message than the address: policy blocks (x.7.x: an IP on a
blocklist would otherwise suppress every subscriber of one provider at once), a full mailbox
(x.2.2) or a message too large (x.2.3, x.3.4). They count as soft, like 4.x.x, and only
several digests in a row suppress the address. A delay warning ("Action: delayed") counts
for nothing: the server is still trying, and says so again if it gives up.

The subscriber comes from the VERP tag wherever it appears (the address the report was sent
to, a quoted Return-Path, an ARF Original-Mail-From), else from the addresses the report names.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr

from flufl.bounce import all_failures

from digest.tokens import BounceTags

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SOFT_PERMANENT = {("2", "2"), ("2", "3"), ("3", "4")}  # (subject, detail) of 5.x.x codes
COMPLAINT_TYPES = {"abuse", "fraud"}  # ARF feedback types a person's "this is spam" sends
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Report:
    """What one message reports. kind: hard | soft | complaint | ignored | unreadable."""

    key: str  # unique per report: its Message-ID, or a hash of its bytes
    kind: str
    emails: tuple[str, ...] = ()  # addresses the report names (lower case)
    tagged: tuple[tuple[int, date | None], ...] = ()  # (subscriber id, digest date) from tags
    status: str | None = None  # the enhanced status code, e.g. 5.1.1
    detail: str | None = None  # the diagnostic, or why it was not taken as a failure


def classify(status: str | None, action: str) -> str | None:
    """hard, soft, or None (not a failure) for one recipient of a DSN."""
    action = action.strip().lower()
    if action.startswith(("delivered", "relayed", "expanded", "delayed")):
        return None
    match = _STATUS.search(status or "")
    if match is not None:
        klass, subject, detail = match.groups()
        if klass == "2":
            return None
        if klass == "4" or subject == "7" or (subject, detail) in _SOFT_PERMANENT:
            return "soft"
        return "hard"
    # opensmtpd writes the non-standard "Action: error"
    return "hard" if action.startswith(("fail", "error")) else None


def read_report(raw: bytes, *, tags: BounceTags | None = None) -> Report:
    """Never raises: a message that cannot be read is a Report of kind "unreadable"."""
    key = _fallback_key(raw)
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        key = _key(msg, raw)
        found = tuple(tags.find(_searchable(msg, raw))) if tags is not None else ()
        report = _read(msg, key)
    except Exception as exc:  # a message of any shape may arrive; say why and keep it
        return Report(key, "unreadable", detail=f"could not parse: {exc!r}"[:500])
    if report.kind in ("hard", "soft", "complaint"):
        return Report(report.key, report.kind, report.emails, found, report.status, report.detail)
    return report


def _read(msg: Message, key: str) -> Report:
    if not msg.keys():
        return Report(key, "unreadable", detail="no headers: not an email message")
    dsn = _delivery_status(msg, key)
    if dsn is not None:
        return dsn
    arf = _feedback_report(msg, key)
    if arf is not None:
        return arf
    temporary, permanent = all_failures(msg)
    if permanent or temporary:
        if not permanent:  # flufl's temporary failures are its warnings of delay
            return Report(key, "ignored", _decode(temporary), detail="a delay warning")
        return Report(key, "hard", _decode(permanent), detail=_subject(msg))
    if (msg.get("Auto-Submitted") or "no").strip().lower() != "no" or msg.get("X-Autoreply"):
        return Report(key, "ignored", detail=f"an automatic reply: {_subject(msg)}")
    return Report(
        key, "unreadable", detail=f"no bounce or abuse report recognised: {_subject(msg)}"
    )


def _delivery_status(msg: Message, key: str) -> Report | None:
    """RFC 3464: the worst failure among the per-recipient blocks; None if there is no DSN."""
    blocks = []
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status" and part.is_multipart():
            payload = part.get_payload()
            blocks += [b for b in payload if isinstance(b, Message)]
    recipients = [b for b in blocks if b.get("Final-Recipient") or b.get("Action")]
    if not recipients:
        return None
    worst: tuple[str, str | None, str | None] | None = None  # kind, status, diagnostic
    emails: list[str] = []
    for block in recipients:
        status = _STATUS.search(block.get("Status", ""))
        code = status.group(0) if status else None
        kind = classify(code, block.get("Action", ""))
        if kind is None:
            continue
        for field in ("Original-Recipient", "Final-Recipient", "X-Actual-Recipient"):
            address = _typed_address(block.get(field, ""))
            if address and address not in emails:
                emails.append(address)
        diagnostic = _clean(block.get("Diagnostic-Code", "")) or None
        if worst is None or (kind == "hard" and worst[0] == "soft"):
            worst = (kind, code, diagnostic)
    if worst is None:
        return Report(key, "ignored", tuple(emails), detail="a DSN of success or delay")
    kind, code, diagnostic = worst
    return Report(key, kind, tuple(emails), status=code, detail=diagnostic or _subject(msg))


def _feedback_report(msg: Message, key: str) -> Report | None:
    """RFC 5965: an abuse report is a complaint; other feedback types are recorded only."""
    fields: Message | None = None
    for part in msg.walk():
        if part.get_content_type() == "message/feedback-report":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                fields = payload[0]
            elif isinstance(payload, str):
                fields = email.message_from_string(payload.lstrip(), policy=email.policy.compat32)
            break
    if fields is None:
        return None
    emails: list[str] = []
    for name in ("Original-Rcpt-To", "Removal-Recipient"):
        for value in fields.get_all(name, []):
            emails += [a.lower() for _, a in getaddresses([value]) if "@" in a]
    original = _enclosed(msg)
    if original is not None:
        emails += [a.lower() for _, a in getaddresses(original.get_all("To", [])) if "@" in a]
    feedback_type = (fields.get("Feedback-Type") or "abuse").strip().lower()
    ua = _clean(fields.get("User-Agent", ""))
    detail = f"{feedback_type} report" + (f" from {ua}" if ua else "")
    kind = "complaint" if feedback_type in COMPLAINT_TYPES else "ignored"
    return Report(key, kind, tuple(dict.fromkeys(emails)), detail=detail)


def _enclosed(msg: Message) -> Message | None:
    """The reported message (message/rfc822) or its headers (text/rfc822-headers)."""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822" and part.is_multipart():
            inner = part.get_payload(0)
            return inner if isinstance(inner, Message) else None
        if kind == "text/rfc822-headers":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                return email.message_from_bytes(data, policy=email.policy.compat32)
    return None


def _searchable(msg: Message, raw: bytes) -> str:
    """Where a tag may be: the raw message, and every part decoded (a quoted-printable or
    base64 part can hide an address)."""
    pieces = [raw.decode("latin-1")]
    for part in msg.walk():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            pieces.append(data.decode("latin-1"))
    return "\n".join(pieces)


def _typed_address(value: str) -> str | None:
    """`rfc822; ada@example.org` (RFC 3464 address-type; address) -> the address."""
    _, _, address = value.rpartition(";")
    address = parseaddr(address.strip())[1] or address.strip().strip("<>")
    return address.lower() if "@" in address else None


def _decode(addresses: frozenset[bytes]) -> tuple[str, ...]:
    return tuple(sorted(a.decode("ascii", "replace").lower() for a in addresses))


def _clean(value: str) -> str:
    return _SPACES.sub(" ", str(value)).strip()[:1000]


def _subject(msg: Message) -> str:
    subject = msg.get("Subject")
    if not subject:
        return "no subject"
    try:
        text = str(make_header(decode_header(str(subject))))
    except (ValueError, LookupError):  # a broken encoded word: show it as it came
        text = str(subject)
    return f"subject {_clean(text)!r}"


def _key(msg: Message, raw: bytes) -> str:
    message_id = _clean(msg.get("Message-ID", ""))
    if message_id and len(message_id) <= 240:
        return f"msg:{message_id}"
    return _fallback_key(raw)


def _fallback_key(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()
