"""Signed tokens for the links in emails (itsdangerous), one salt per purpose.

A token names its subscriber by their random public id (never the row number) and carries
the subscriber's `token_version`, so bumping it (`digest subscribers revoke`) revokes every
link sent so far, confirm links included. Confirm links also expire after 3 days.

A digest signs one feedback token (subscriber and version) and puts the paper and the vote
in its links' query strings: `/feedback/<token>?paper=2501.00001&vote=more`. The web route
accepts a vote only on a paper that was sent to that subscriber.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import quote

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode

PURPOSES = ("confirm", "manage", "unsubscribe", "feedback", "view", "feed")
CONFIRM_MAX_AGE = 3 * 24 * 3600
VOTES = {"more": 1, "less": -1}  # the `vote` query parameter of a feedback link


class BadToken(ValueError):
    """The token is forged, altered, expired or for another purpose."""


class KeyedSigner(TimestampSigner):
    """itsdangerous' TimestampSigner with its key derived once, not for every token (a digest
    signs several links, a batch thousands): signing then costs one HMAC."""

    @cached_property
    def _derived(self) -> bytes:
        return super().derive_key()

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        if secret_key is not None:
            return super().derive_key(secret_key)
        return self._derived


@lru_cache(maxsize=64)  # built once per secret and purpose
def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return _Serializer(
        secret, salt=f"digest.{purpose}", signer=KeyedSigner, serializer=_CompactJson
    )


class _Serializer(URLSafeTimedSerializer):
    """Never tries to compress: every payload here is a few short fields, which zlib only
    makes longer (itsdangerous would compress, compare and throw the result away)."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(self.serializer.dumps(obj).encode("utf-8"))


class _CompactJson:
    """JSON without spaces, as itsdangerous writes it by default, keeping non-ASCII as is."""

    @staticmethod
    def dumps(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def loads(data: str | bytes) -> Any:
        return json.loads(data)


def make_token(secret: str, purpose: str, **payload: Any) -> str:
    """A signed, timestamped token for `payload` (read back by `read_token`)."""
    return _serializer(secret, purpose).dumps(payload)


def read_token(secret: str, purpose: str, token: str, max_age: int | None = None) -> dict[str, Any]:
    """The payload of a valid token; raises BadToken otherwise."""
    if max_age is None and purpose == "confirm":
        max_age = CONFIRM_MAX_AGE
    try:
        payload = _serializer(secret, purpose).loads(token, max_age=max_age)
    except BadData as exc:
        raise BadToken(f"invalid {purpose} link: {type(exc).__name__}") from None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("s"), str)
        or not isinstance(payload.get("v"), int)
    ):
        raise BadToken(f"invalid {purpose} link: malformed payload")
    return payload


@dataclass(frozen=True)
class Links:
    """Absolute URLs for one deployment (`DIGEST_BASE_URL`, `DIGEST_SECRET_KEY`)."""

    base_url: str
    secret: str

    def _url(self, path: str, purpose: str, **payload: Any) -> str:
        return f"{self.base_url.rstrip('/')}/{path}/{make_token(self.secret, purpose, **payload)}"

    def confirm(self, public_id: str, email: str, version: int = 0) -> str:
        return self._url("confirm", "confirm", s=public_id, e=email, v=version)

    def manage(self, public_id: str, version: int = 0) -> str:
        return self._url("manage", "manage", s=public_id, v=version)

    def unsubscribe(self, public_id: str, version: int = 0) -> str:
        return self._url("unsubscribe", "unsubscribe", s=public_id, v=version)

    def feedback_base(self, public_id: str, version: int = 0) -> str:
        """One signed feedback URL per email; each paper's links add `feedback_query`."""
        return self._url("feedback", "feedback", s=public_id, v=version)

    def feedback(self, public_id: str, paper_id: str, vote: int, version: int = 0) -> str:
        """The "more like this" (vote 1) or "not for me" (-1) link for one paper."""
        return self.feedback_base(public_id, version) + feedback_query(paper_id, vote)

    def view(self, public_id: str, digest_date: date, version: int = 0) -> str:
        """The web copy of the subscriber's digest of `digest_date`."""
        return self._url("view", "view", s=public_id, d=digest_date.isoformat(), v=version)

    def feed(self, public_id: str, version: int = 0) -> str:
        return self._url("feed", "feed", s=public_id, v=version)


def feedback_query(paper_id: str, vote: int) -> str:
    """`?paper=<id>&vote=more|less`: what a feedback link adds to `Links.feedback_base`."""
    name = "more" if vote == 1 else "less" if vote == -1 else None
    if name is None:
        raise ValueError(f"a feedback vote is 1 or -1, not {vote!r}")
    return f"?paper={quote(paper_id, safe='')}&vote={name}"
