"""Optional DKIM signing (RFC 6376), configured by DIGEST_DKIM_KEY_FILE / _SELECTOR / _DOMAIN.

The signature covers the headers a receiver and a one-click unsubscribe rely on (RFC 8058
requires List-Unsubscribe and List-Unsubscribe-Post to be signed), with relaxed/relaxed
canonicalisation so a relay re-folding headers or re-wrapping whitespace does not break it.

From, To, Subject and the List-Unsubscribe pair are over-signed: `h=` names each one more
time than the message has it (RFC 6376 8.15), so a copy added on the way (a second From
shown by a client, a List-Unsubscribe pointing elsewhere) breaks the signature; an absent one
is signed as absent, so it cannot be added either.

Signing is done here with `cryptography` (OpenSSL) rather than by `dkim.sign`: dkimpy does
the RSA step in pure Python, about 15 ms a message on this machine against under 1 ms, which
alone would cost 25 minutes of CPU per 100,000 digests. dkimpy stays the verifier in the tests.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from digest.config import ConfigError, Settings
from digest.mail.message import MessageError, domain_of

SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Id",
    "Feedback-ID",  # Gmail counts feedback only for a Feedback-ID the sender signed
)
DKIM_MISSING = (
    "sending without DKIM (DIGEST_DKIM_KEY_FILE is empty): Gmail and Yahoo reject or junk "
    "unsigned bulk mail; see the README's Mail delivery section to set it up"
)
OVERSIGNED = frozenset({"from", "to", "subject", "list-unsubscribe", "list-unsubscribe-post"})
_SELECTOR = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_WSP = re.compile(rb"[ \t]+")
_FOLD = re.compile(rb"\r\n(?=[ \t])")


@dataclass(frozen=True)
class DkimSigner:
    """Signs whole messages with RSA-SHA256 (the algorithm every receiver checks).

    `sign` returns the message with a DKIM-Signature header first. `private_key` is PEM.
    """

    selector: str
    domain: str
    private_key: bytes = field(repr=False)
    headers: tuple[str, ...] = SIGNED_HEADERS
    oversign: frozenset[str] = OVERSIGNED  # lower-case names signed once more than present
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)
    _key: rsa.RSAPrivateKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _SELECTOR.match(self.selector):
            raise ValueError(f"DKIM selector {self.selector!r} is not a valid DNS label")
        if not self.domain or "." not in self.domain or not self.domain.isascii():
            raise ValueError(f"DKIM domain {self.domain!r} is not a domain name")
        try:
            key = serialization.load_pem_private_key(self.private_key, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise ValueError("the key is not an unencrypted PEM private key") from None
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 1024:
            raise ValueError("the key is not an RSA private key of at least 1024 bits")
        object.__setattr__(self, "_key", key)

    def sign(self, data: bytes) -> bytes:
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            head, body = data, b""
        fields = _header_fields(head)
        names: list[str] = []
        for header in self.headers:
            name = header.lower()
            names += [name] * (len(fields.get(name, ())) + (name in self.oversign))
        body_hash = base64.b64encode(hashlib.sha256(_relaxed_body(body)).digest()).decode()
        tags = (
            f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={self.domain}; s={self.selector};"
            f"\r\n\tt={int(self.clock())}; h={_fold_names(names)};"
            f"\r\n\tbh={body_hash};\r\n\tb="
        )
        # Each name signs its next instance from the bottom up; a name listed once more than
        # the message has it signs nothing (RFC 6376 5.4.2).
        left = {name: list(values) for name, values in fields.items()}
        signed = b"".join(
            _relaxed_header(n.encode(), left[n].pop()) + b"\r\n" for n in names if left.get(n)
        )
        signed += _relaxed_header(b"dkim-signature", b" " + tags.encode())
        signature = self._key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        b64 = base64.b64encode(signature).decode()
        folded = "\r\n\t".join(b64[i : i + 72] for i in range(0, len(b64), 72))
        return f"DKIM-Signature: {tags}{folded}\r\n".encode("ascii") + data

    @classmethod
    def from_settings(cls, settings: Settings) -> DkimSigner | None:
        """A signer when DIGEST_DKIM_KEY_FILE is set, else None; a bad key fails here, early."""
        if not settings.dkim_key_file:
            return None
        path = Path(settings.dkim_key_file).expanduser()
        try:
            key = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"DIGEST_DKIM_KEY_FILE: cannot read {path}: {exc.strerror}") from None
        if not settings.dkim_selector:
            raise ConfigError("DIGEST_DKIM_SELECTOR: set the selector published in DNS")
        if not _SELECTOR.match(settings.dkim_selector):
            raise ConfigError(
                f"DIGEST_DKIM_SELECTOR: {settings.dkim_selector!r} is not a valid DNS label"
            )
        domain = settings.dkim_domain
        if not domain:
            try:
                domain = domain_of(settings.require_sender())
            except MessageError as exc:
                raise ConfigError(f"DIGEST_FROM: {exc}") from None
        try:
            return cls(selector=settings.dkim_selector, domain=domain.lower(), private_key=key)
        except ValueError as exc:
            setting = "DIGEST_DKIM_DOMAIN" if "domain" in str(exc) else "DIGEST_DKIM_KEY_FILE"
            raise ConfigError(f"{setting}: {path}: {exc}") from None


def _header_fields(head: bytes) -> dict[str, list[bytes]]:
    """Lower-cased name -> raw values, top to bottom."""
    fields: dict[str, list[bytes]] = {}
    for line in _FOLD.sub(b"", head).split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if colon:
            fields.setdefault(name.strip().decode("ascii", "replace").lower(), []).append(value)
    return fields


def _fold_names(names: list[str]) -> str:
    """The `h=` list, folded so that no header line grows past 78 characters."""
    lines, line = [], ""
    for name in names:
        if line and len(line) + len(name) + 1 > 60:
            lines.append(line + ":")
            line = name
        else:
            line = f"{line}:{name}" if line else name
    lines.append(line)
    return "\r\n\t ".join(lines)


def _relaxed_header(name: bytes, value: bytes) -> bytes:
    """RFC 6376 3.4.2: lower-case name, unfolded value, runs of WSP as one SP, trimmed."""
    return name.lower() + b":" + _WSP.sub(b" ", _FOLD.sub(b"", value)).strip(b" ")


def _relaxed_body(body: bytes) -> bytes:
    """RFC 6376 3.4.4: runs of WSP as one SP, none at line ends, no trailing empty lines.

    Done with bytes.replace, not a regex: an indented HTML body has thousands of spaces,
    and a regex substitution over them costs three times the RSA signature.
    """
    body = body.replace(b"\t", b" ")
    while b"  " in body:
        body = body.replace(b"  ", b" ")
    body = body.replace(b" \r\n", b"\r\n").rstrip(b"\r\n")
    return body + b"\r\n" if body else b""
