"""Signed tokens for the links in emails (itsdangerous), one salt per purpose, and the sealed
tags of the VERP envelope senders that bounces come back to (`BounceTags`).

A token names its subscriber by their random public id (never the row number) and carries
the subscriber's `token_version`, so bumping it (`digest subscribers revoke`) revokes every
link sent so far, confirm links included. Confirm links also expire after 3 days.

A digest signs one feedback token (subscriber and version) and puts the paper and the vote
in its links' query strings: `/feedback/<token>?paper=2501.00001&vote=more`. The web route
accepts a vote only on a paper that was sent to that subscriber.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
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


# --------------------------------------------------------------------------- bounce tags

_TAG_EPOCH = date(2000, 1, 1)
_TAG_LEN = 24  # base32 characters: 8 bytes of MAC + 7 of payload, no padding
_TAG_IN_TEXT = re.compile(rf"\+([a-z2-7]{{{_TAG_LEN}}})@", re.IGNORECASE)


@dataclass(frozen=True)
class BounceTags:
    """The VERP envelope sender of each digest: `bounces+<tag>@example.org`.

    The tag names the subscriber and the digest date, sealed so that nobody can read or
    forge it: an 8-byte HMAC of the payload, then the payload XORed with a key stream drawn
    from that HMAC (a deterministic, SIV-like construction). It is lower-case base32,
    since mail servers may change the case of a local part. A bounce that reaches the tagged
    address is matched to its subscriber even when the report quotes nothing of the digest.
    """

    secret: str
    return_path: str = ""  # the bare address the tags are added to (not needed to read them)

    def __post_init__(self) -> None:
        local, at, domain = self.return_path.rpartition("@")
        if self.return_path and not (at and local and domain):
            raise ValueError(f"{self.return_path!r} is not an email address")

    @cached_property
    def _keys(self) -> tuple[bytes, bytes]:
        key = self.secret.encode()
        mac = hmac.new(key, b"digest.bounce-tag.mac", hashlib.sha256).digest()
        stream = hmac.new(key, b"digest.bounce-tag.stream", hashlib.sha256).digest()
        return mac, stream

    def tag(self, subscriber_id: int, digest_date: date | None = None) -> str:
        """The tag of one subscriber's digest (no date: a confirmation or manage email)."""
        day = 0 if digest_date is None else (digest_date - _TAG_EPOCH).days + 1
        if not 0 < subscriber_id < 2**40 or not 0 <= day < 2**16:
            raise ValueError(f"cannot tag subscriber {subscriber_id} on {digest_date}")
        payload = subscriber_id.to_bytes(5, "big") + day.to_bytes(2, "big")
        mac_key, stream_key = self._keys
        mac = hmac.new(mac_key, payload, hashlib.sha256).digest()[:8]
        stream = hmac.new(stream_key, mac, hashlib.sha256).digest()[:7]
        sealed = bytes(a ^ b for a, b in zip(payload, stream, strict=True))
        return base64.b32encode(mac + sealed).decode("ascii").lower()

    def read(self, tag: str) -> tuple[int, date | None]:
        """(subscriber id, digest date or None); BadToken if the tag is not one of ours."""
        try:
            raw = base64.b32decode(tag.upper())
        except (binascii.Error, ValueError):
            raise BadToken("invalid bounce tag: not base32") from None
        if len(raw) != 15:
            raise BadToken("invalid bounce tag: wrong length")
        mac, sealed = raw[:8], raw[8:]
        mac_key, stream_key = self._keys
        stream = hmac.new(stream_key, mac, hashlib.sha256).digest()[:7]
        payload = bytes(a ^ b for a, b in zip(sealed, stream, strict=True))
        expected = hmac.new(mac_key, payload, hashlib.sha256).digest()[:8]
        if not hmac.compare_digest(mac, expected):
            raise BadToken("invalid bounce tag: bad signature")
        day = int.from_bytes(payload[5:], "big")
        when = None if day == 0 else _TAG_EPOCH + timedelta(days=day - 1)
        return int.from_bytes(payload[:5], "big"), when

    def address(self, subscriber_id: int, digest_date: date | None = None) -> str:
        """The envelope sender for one message: `local+tag@domain`."""
        local, at, domain = self.return_path.rpartition("@")
        if not at:
            raise ValueError("no return path to tag")
        return f"{local}+{self.tag(subscriber_id, digest_date)}@{domain}"

    def find(self, text: str) -> list[tuple[int, date | None]]:
        """Every valid tag in `text` (an address, headers, a whole report), in order, once."""
        found: list[tuple[int, date | None]] = []
        for match in _TAG_IN_TEXT.finditer(text):
            try:
                value = self.read(match.group(1))
            except BadToken:
                continue
            if value not in found:
                found.append(value)
        return found
