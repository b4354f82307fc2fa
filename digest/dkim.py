"""Optional DKIM signing (dkimpy), configured by DIGEST_DKIM_KEY_FILE / _SELECTOR / _DOMAIN.

The signature covers the headers a receiver and a one-click unsubscribe rely on (RFC 8058
requires List-Unsubscribe and List-Unsubscribe-Post to be signed), with relaxed/relaxed
canonicalisation so a relay re-folding headers or re-wrapping whitespace does not break it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import dkim as dkimpy

from digest.config import ConfigError, Settings
from digest.message import MessageError, domain_of

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
)
_SELECTOR = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_PROBE = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: probe\r\n\r\nprobe\r\n"


@dataclass(frozen=True)
class DkimSigner:
    """Signs whole messages (RSA-SHA256, the algorithm every receiver checks).

    `sign` returns the message with a DKIM-Signature header first.
    """

    selector: str
    domain: str
    private_key: bytes = b""
    headers: tuple[str, ...] = SIGNED_HEADERS

    def __post_init__(self) -> None:
        if not _SELECTOR.match(self.selector):
            raise ValueError(f"DKIM selector {self.selector!r} is not a valid DNS label")
        if not self.domain or "." not in self.domain:
            raise ValueError(f"DKIM domain {self.domain!r} is not a domain name")

    def sign(self, data: bytes) -> bytes:
        present = _header_names(data)
        include = [h.encode("ascii") for h in self.headers if h.lower() in present]
        signature = dkimpy.sign(
            data,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=include,
            signature_algorithm=b"rsa-sha256",
        )
        return signature + data

    @classmethod
    def from_settings(cls, settings: Settings) -> DkimSigner | None:
        """A signer when DIGEST_DKIM_KEY_FILE is set, else None; a bad key fails here, early."""
        if not settings.dkim_key_file:
            return None
        path = Path(settings.dkim_key_file).expanduser()
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(f"DIGEST_DKIM_KEY_FILE: cannot read {path}: {exc.strerror}") from None
        if not settings.dkim_selector:
            raise ConfigError("DIGEST_DKIM_SELECTOR: set the selector published in DNS")
        domain = settings.dkim_domain
        if not domain:
            try:
                domain = domain_of(settings.require_sender())
            except MessageError as exc:
                raise ConfigError(f"DIGEST_FROM: {exc}") from None
        try:
            signer = cls(selector=settings.dkim_selector, domain=domain.lower(), private_key=key)
        except ValueError as exc:
            raise ConfigError(f"DIGEST_DKIM_SELECTOR/DOMAIN: {exc}") from None
        if not key.startswith(b"-----BEGIN"):
            raise ConfigError(f"DIGEST_DKIM_KEY_FILE: {path} is not a PEM RSA private key")
        try:
            signer.sign(_PROBE)
        except Exception as exc:  # dkimpy raises several kinds for a malformed key
            raise ConfigError(f"DIGEST_DKIM_KEY_FILE: {path} is not a usable key: {exc}") from None
        return signer


def _header_names(data: bytes) -> set[str]:
    """Lower-cased names of the headers in a message's header block."""
    head = data.split(b"\r\n\r\n", 1)[0]
    names = set()
    for line in head.split(b"\r\n"):
        if line[:1] not in (b" ", b"\t") and b":" in line:
            names.add(line.split(b":", 1)[0].strip().decode("ascii", "replace").lower())
    return names
