"""MIME messages for digests, assembled directly as bytes.

Python's `email` package spends most of a digest's build time on policy lookups and header
folding; a digest always has the same shape (multipart/alternative: text/plain, then text/html,
both UTF-8 in base64), so we write that shape ourselves and check in tests that the `email`
parser reads it back exactly. `benchmarks/smtp_bench.py` measures the difference.

Base64 rather than quoted-printable: a digest's HTML is one ~50 KB line, and
`binascii.b2a_qp` took about 1 ms for it, the largest cost of a digest after rendering was
made cheap; base64 takes a tenth of that, for about a quarter more bytes on the wire.
(SpamAssassin's MIME_BASE64_TEXT does not apply to UTF-8 text.)
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Mapping
from datetime import date, datetime
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from typing import Any, Protocol

import numpy as np


class Signer(Protocol):
    """Signs a finished message (digest.mail.dkim.DkimSigner)."""

    def sign(self, data: bytes) -> bytes: ...


# Headers the builder writes itself; callers may not pass them in `headers`.
_OWN_HEADERS = frozenset(
    {"date", "from", "to", "subject", "message-id", "mime-version", "content-type",
     "content-transfer-encoding"}
)  # fmt: skip
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # printable ASCII without ":" (RFC 5322 ftext)
_PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\Z")
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


class MessageError(ValueError):
    """A message cannot be built from these values; the text says which one."""


_PUBLIC_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}\Z")


def make_message_id(*, public_id: str, digest_date: date, domain: str) -> str:
    """The Message-ID of one subscriber's digest for one day, the same on every attempt.

    A retried or re-sent digest keeps its id, so receiving servers and clients can recognise
    a duplicate. It names the subscriber by their random public id, never the row number.
    """
    domain = domain.strip().lower()
    if not _DOMAIN.match(domain) or "." not in domain:
        raise MessageError(f"Message-ID domain {domain!r} is not a domain name")
    if not _PUBLIC_ID.match(public_id):
        raise MessageError(f"Message-ID: {public_id!r} is not a subscriber's public id")
    return f"<digest.{digest_date.isoformat()}.{public_id}@{domain}>"


def domain_of(address: str) -> str:
    """The domain part of an address such as `Digest <digest@example.org>`."""
    _, addr = parseaddr(address)
    if "@" not in addr:
        raise MessageError(f"{address!r} is not an email address")
    return addr.rsplit("@", 1)[1].lower()


def list_id(setting: str, sender: str) -> str:
    """The List-Id header (RFC 2919): DIGEST_LIST_ID as parsed by the settings, or one made
    from the sender: `Paper Digest <papers.example.org>` for `Paper Digest <papers@example.org>`.

    Providers group a sender's mail by it (Gmail's unsubscribe prompt, filters people write).
    """
    if setting:
        return setting
    display, addr = parseaddr(sender)
    local = addr.rpartition("@")[0]
    label = re.sub(r"[^a-z0-9-]+", "-", local.lower()).strip("-") or "digest"
    ident = f"{label}.{domain_of(sender)}"
    display = display.replace('"', "").strip()
    return f"{display} <{ident}>" if display and display.isascii() else f"<{ident}>"


def feedback_id(kind: str, setting: str, sender: str) -> str:
    """The Feedback-ID header of Gmail's feedback loop: `<kind of email>:<sender id>`, the
    sender id being DIGEST_FEEDBACK_ID or the sender's domain. Never unique per message:
    Gmail reports spam rates per value."""
    return f"{kind}:{setting or domain_of(sender)}"


def build_message(
    *,
    subject: str,
    html: str,
    text: str,
    headers: Mapping[str, str],
    sender: str,
    to: str,
    message_id: str,
    date: datetime,
    dkim: Signer | None = None,
) -> bytes:
    """One multipart/alternative message (text/plain first, then text/html) with CRLF lines.

    `headers` adds headers such as List-Unsubscribe; values must be single lines.
    """
    if date.tzinfo is None:
        raise MessageError("message date must be timezone-aware")
    if not (message_id.startswith("<") and message_id.endswith(">") and "@" in message_id):
        raise MessageError(f"Message-ID {message_id!r} is not of the form <local@domain>")
    boundary = "=_alt_" + hashlib.sha1(message_id.encode()).hexdigest()[:24]
    lines = [
        f"Date: {format_datetime(date)}",
        f"From: {_address(sender, 'From')}",
        f"To: {_address(to, 'To')}",
        f"Subject: {_unstructured(subject, 'Subject')}",
        f"Message-ID: {_single_line(message_id, 'Message-ID')}",
        "MIME-Version: 1.0",
    ]
    for name, value in headers.items():
        if not _HEADER_NAME.match(name) or name.lower() in _OWN_HEADERS:
            raise MessageError(f"header name {name!r} is not allowed here")
        lines.append(f"{name}: {_unstructured(value, name)}")
    lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
    head = "\r\n".join(lines).encode("utf-8")
    out = b"".join(  # one copy of the ~80 KB: the parts are pieces, not joined on their own
        (
            head,
            b"\r\n\r\nThis is a multi-part message in MIME format.\r\n",
            *_part(boundary, "text/plain", text),
            *_part(boundary, "text/html", html),
            f"--{boundary}--\r\n".encode("ascii"),
        )
    )
    return dkim.sign(out) if dkim is not None else out


def _part(boundary: str, content_type: str, body: str) -> list[Any]:
    head = (
        f"--{boundary}\r\nContent-Type: {content_type}; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return [head.encode("ascii"), *_base64_pieces(_canonical(body))]


def _canonical(body: str) -> bytes:
    """UTF-8 with CRLF line breaks (text's canonical form, RFC 2045 6.8), ending in one.

    Line breaks are normalised first: a lone CR or LF would otherwise decode as something
    else than a line break. A body ends with a line break, as email.message.set_content does.
    """
    data = body.encode("utf-8")
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if not data.endswith(b"\n"):
        data += b"\n"
    return data.replace(b"\n", b"\r\n")


def _base64_lines(data: bytes) -> bytes:
    """`data` in base64, in CRLF-terminated lines of 76 characters (the last one shorter)."""
    return b"".join(_base64_pieces(data))


def _base64_pieces(data: bytes) -> list[Any]:
    """`_base64_lines` as buffers to join: the full lines (a numpy array), then the rest.

    The encoding is one C call; numpy cuts the lines (a Python loop over ~900 lines of a
    digest, or `base64.encodebytes`, costs more than the encoding itself).
    """
    raw = binascii.b2a_base64(data, newline=False)
    full = len(raw) - len(raw) % 76
    lines = np.empty((full // 76, 78), dtype=np.uint8)
    lines[:, :76] = np.frombuffer(raw, dtype=np.uint8, count=full).reshape(-1, 76)
    lines[:, 76:] = (13, 10)
    rest = raw[full:]
    return [lines.data, rest + b"\r\n" if rest else b""]


def _single_line(value: str, name: str) -> str:
    if "\r" in value or "\n" in value or "\0" in value:
        raise MessageError(f"{name} must be a single line")
    return value


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # but tab, CR, LF


def _unstructured(value: str, name: str) -> str:
    """A header value: ASCII as is (folded at spaces when long), otherwise RFC 2047 words.

    Control characters (from text stored before input was checked for them) are dropped, so
    they neither break the header nor reach a mail reader; a line break is still refused.
    """
    value = _CONTROLS.sub("", value)
    _single_line(value, name)
    if value.isascii():
        return _fold(value, len(name) + 2)
    return _encoded_words(value)


def _encoded_words(value: str) -> str:
    """RFC 2047 "B" words of whole characters, short enough for 78-character lines.

    email.header.Header does the same about a hundred times slower.
    """
    chunks: list[bytes] = []
    chunk = b""
    for char in value:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > 36:  # 48 base64 characters, a 60-character word
            chunks.append(chunk)
            chunk = b""
        chunk += encoded
    chunks.append(chunk)
    return "\r\n ".join(
        f"=?utf-8?b?{binascii.b2a_base64(c, newline=False).decode('ascii')}?=" for c in chunks
    )


def _fold(value: str, used: int) -> str:
    """Fold a long ASCII value at spaces so lines stay near 78 characters (RFC 5322 2.1.1)."""
    if used + len(value) <= 78 or " " not in value:
        return value
    out: list[str] = []
    line = ""
    for word in value.split(" "):
        if line and used + len(line) + 1 + len(word) > 78:
            out.append(line)
            line, used = word, 1
        else:
            line = f"{line} {word}" if line else word
    out.append(line)
    return "\r\n ".join(out)


def _display_name(display: str) -> str:
    if not display.isascii():
        return _encoded_words(display)
    return formataddr((display, "x@x"))[: -len(" <x@x>")]  # quotes it when needed


def _address(value: str, name: str) -> str:
    """`Name <addr>` or `addr`, with a non-ASCII display name RFC 2047 encoded."""
    if _PLAIN_ADDRESS.match(value):
        return value
    return _formatted_address(value, name)


@lru_cache(maxsize=256)  # the sender is the same on every message
def _formatted_address(value: str, name: str) -> str:
    _single_line(value, name)
    display, addr = parseaddr(value)
    if "@" not in addr:
        raise MessageError(f"{name} {value!r} is not an email address")
    if addr.isascii():
        return f"{_display_name(display)} <{addr}>" if display else addr
    # An internationalised address goes out as UTF-8 (RFC 6532; the mailer asks for SMTPUTF8).
    local, domain = addr.rsplit("@", 1)
    addr = f"{local}@{domain.encode('idna').decode('ascii')}"
    if not display:
        return addr
    return f"{_display_name(display)} <{addr}>"
