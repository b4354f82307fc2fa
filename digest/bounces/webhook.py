"""Webhook events: bounces and complaints posted by an email service (pure: checking the
signature and reading the JSON; `digest.web.webhooks` serves the route).

    POST /webhooks/bounces
    X-Digest-Timestamp: 1772604000
    X-Digest-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with DIGEST_WEBHOOK_SECRET>

    {"type": "hard", "email": "ada@example.org", "status": "5.1.1", "id": "evt-1"}

The body is one event or an array of them. `type` is hard, soft or complaint; `email` the
address that bounced, or `tag` the VERP envelope sender the service reports (or its tag);
`id` (recommended) makes a redelivered event count once; `status` and `detail` are recorded.
A timestamp more than five minutes away from now is refused, so a captured request cannot be
replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from digest.bounces.reports import Report
from digest.tokens import BadToken, BounceTags

MAX_BODY = 256 * 1024
MAX_EVENTS = 1000
TOLERANCE = 300  # seconds between the timestamp and now
KINDS = ("hard", "soft", "complaint")


class WebhookError(ValueError):
    """A request refused: `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Digest-Signature value for a body sent at `timestamp` (Unix seconds)."""
    mac = hmac.new(secret.encode(), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, *, timestamp: str, sig: str, body: bytes, now: datetime) -> None:
    """WebhookError(401) unless the signature is right and the timestamp recent."""
    if not timestamp.isdigit():
        raise WebhookError(401, "X-Digest-Timestamp: Unix seconds expected")
    if abs(now.timestamp() - int(timestamp)) > TOLERANCE:
        raise WebhookError(401, "X-Digest-Timestamp: too far from now (replayed, or a clock off)")
    if not hmac.compare_digest(signature(secret, timestamp, body), sig.strip()):
        raise WebhookError(401, "X-Digest-Signature: does not match the body")


@dataclass(frozen=True)
class Event:
    kind: str
    email: str | None = None
    tag: str | None = None
    id: str | None = None
    status: str | None = None
    detail: str | None = None


def parse_events(body: bytes) -> list[Event]:
    """The events of a body; WebhookError(400) naming the first problem."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookError(400, f"the body is not JSON: {exc}") from None
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > MAX_EVENTS:
        raise WebhookError(400, f"send 1 to {MAX_EVENTS} events")
    return [_event(item, n) for n, item in enumerate(items)]


def _event(item: Any, n: int) -> Event:
    where = f"event {n}"
    if not isinstance(item, dict):
        raise WebhookError(400, f"{where}: an object expected")
    values: dict[str, str | None] = {}
    for name in ("type", "email", "tag", "id", "status", "detail"):
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise WebhookError(400, f"{where}: `{name}` must be a string")
        values[name] = value.strip() if isinstance(value, str) else None
    kind = (values["type"] or "").lower()
    if kind not in KINDS:
        raise WebhookError(400, f"{where}: `type` must be one of {', '.join(KINDS)}")
    address = values["email"]
    if address is not None and ("@" not in address or len(address) > 320):
        raise WebhookError(400, f"{where}: `email` is not an email address")
    if not address and not values["tag"]:
        raise WebhookError(400, f"{where}: give `email` or `tag`")
    status = values["status"]
    return Event(
        kind,
        email=address.lower() if address else None,
        tag=values["tag"] or None,
        id=values["id"] or None,
        status=status[:16] if status else None,
        detail=values["detail"],
    )


def as_report(event: Event, tags: BounceTags) -> Report:
    """The event in the shape of a mailbox report (its key: the event id, or its content)."""
    if event.id:
        key = f"webhook:{event.id}"
    else:
        fields = [event.kind, event.email, event.tag, event.status, event.detail]
        key = "webhook:sha256:" + hashlib.sha256(json.dumps(fields).encode()).hexdigest()
    tagged: list[tuple[int, Any]] = []
    if event.tag:
        if "@" in event.tag:
            tagged = tags.find(event.tag)
        else:
            try:
                tagged = [tags.read(event.tag)]
            except BadToken:
                tagged = []
    return Report(
        key[:255],
        event.kind,
        emails=(event.email,) if event.email else (),
        tagged=tuple(tagged),
        status=event.status,
        detail=event.detail or f"{event.kind} reported by webhook",
    )
