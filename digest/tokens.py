"""Signed tokens for the links in emails (itsdangerous), one salt per purpose.

Confirm links expire; manage, unsubscribe, feedback, view and feed links do not, but every
token carries the subscriber's `token_version`, so bumping it revokes all links sent so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer

PURPOSES = ("confirm", "manage", "unsubscribe", "feedback", "view", "feed")
CONFIRM_MAX_AGE = 3 * 24 * 3600


class BadToken(ValueError):
    """The token is forged, altered, expired or for another purpose."""


@lru_cache(maxsize=64)  # built once per secret and purpose: a digest signs ~25 links
def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return URLSafeTimedSerializer(secret, salt=f"digest.{purpose}")


@lru_cache(maxsize=64)
def _signer(secret: str, purpose: str) -> Any:
    return _serializer(secret, purpose).make_signer()


def make_token(secret: str, purpose: str, **payload: Any) -> str:
    # What URLSafeTimedSerializer.dumps does, with the signer built once, not per token.
    signed = _signer(secret, purpose).sign(_serializer(secret, purpose).dump_payload(payload))
    return str(signed.decode("utf-8"))


def read_token(secret: str, purpose: str, token: str, max_age: int | None = None) -> dict[str, Any]:
    """The payload of a valid token; raises BadToken otherwise."""
    if max_age is None and purpose == "confirm":
        max_age = CONFIRM_MAX_AGE
    try:
        payload = _serializer(secret, purpose).loads(token, max_age=max_age)
    except BadData as exc:
        raise BadToken(f"invalid {purpose} link: {type(exc).__name__}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise BadToken(f"invalid {purpose} link: malformed payload")
    return payload


@dataclass(frozen=True)
class Links:
    """Absolute URLs for one deployment (`DIGEST_BASE_URL`, `DIGEST_SECRET_KEY`)."""

    base_url: str
    secret: str

    def _url(self, path: str, purpose: str, **payload: Any) -> str:
        return f"{self.base_url.rstrip('/')}/{path}/{make_token(self.secret, purpose, **payload)}"

    def confirm(self, subscriber_id: int, email: str) -> str:
        return self._url("confirm", "confirm", s=subscriber_id, e=email)

    def manage(self, subscriber_id: int, version: int = 0) -> str:
        return self._url("manage", "manage", s=subscriber_id, v=version)

    def unsubscribe(self, subscriber_id: int, version: int = 0) -> str:
        return self._url("unsubscribe", "unsubscribe", s=subscriber_id, v=version)

    def feedback(self, subscriber_id: int, paper_id: str, vote: int, version: int = 0) -> str:
        return self._url("feedback", "feedback", s=subscriber_id, p=paper_id, f=vote, v=version)

    def view(self, subscriber_id: int, delivery_id: int, version: int = 0) -> str:
        return self._url("view", "view", s=subscriber_id, d=delivery_id, v=version)

    def feed(self, subscriber_id: int, version: int = 0) -> str:
        return self._url("feed", "feed", s=subscriber_id, v=version)
