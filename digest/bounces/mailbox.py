"""The bounce mailbox: IMAP (over TLS, or plain for a local server) or a maildir folder.

A report is never deleted. Once recorded in the database it is marked in the mailbox so the
next run skips it: on IMAP with the keyword `$DigestProcessed` (and `\\Seen`), so a person
reading the mailbox does not hide reports from `digest bounces`; in a maildir with the
standard seen flag (`S`, the file moves to `cur/`). A report that could not be read is also
flagged (`\\Flagged` / `F`, plus `$DigestUnreadable` on IMAP) for a person to look at.
Marking is the second step: if it fails, the next run reads the report again and the
database, which records each report once, tells it was done.
"""

from __future__ import annotations

import imaplib
import logging
import os
import re
import ssl
from contextlib import suppress
from pathlib import Path
from typing import Protocol

from digest.config import MailboxLocation

log = logging.getLogger("digest.bounces")

PROCESSED = "$DigestProcessed"
UNREADABLE = "$DigestUnreadable"


class MailboxError(RuntimeError):
    """The mailbox cannot be reached or read; the message names it (never its password)."""


class Mailbox(Protocol):
    source: str  # "imap" or "maildir": where a report came from, as recorded

    def unprocessed(self, limit: int) -> list[str]:
        """References of up to `limit` reports not yet marked, oldest first."""
        ...

    def fetch(self, ref: str) -> bytes: ...

    def mark(self, ref: str, *, unreadable: bool) -> None:
        """Mark a recorded report so that later runs skip it (it stays in the mailbox)."""
        ...

    def close(self) -> None: ...


def open_mailbox(
    location: MailboxLocation, *, ssl_context: ssl.SSLContext | None = None, timeout: float = 30
) -> Mailbox:
    """Connect (IMAP) or check the folder (maildir); MailboxError when that fails."""
    if location.scheme == "maildir":
        return Maildir(Path(location.path))
    return Imap(location, ssl_context=ssl_context, timeout=timeout)


# --------------------------------------------------------------------------- IMAP


class Imap:
    source = "imap"

    def __init__(
        self,
        location: MailboxLocation,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30,
    ) -> None:
        self.where = location.describe()
        try:
            if location.scheme == "imaps":
                context = ssl_context or ssl.create_default_context()
                self._conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    location.host, location.port, ssl_context=context, timeout=timeout
                )
            else:
                self._conn = imaplib.IMAP4(location.host, location.port, timeout=timeout)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"{self.where}: cannot connect: {_says(exc)}") from None
        try:
            self._conn.login(location.username, location.password)
            typ, data = self._conn.select(_quoted(location.folder))
        except (OSError, imaplib.IMAP4.error) as exc:
            self.close()
            raise MailboxError(f"{self.where}: {_says(exc)}") from None
        if typ != "OK":
            self.close()
            raise MailboxError(f"{self.where}: cannot open the folder: {_says(data)}")
        self._warned = False

    def unprocessed(self, limit: int) -> list[str]:
        data = self._command("SEARCH", "UNKEYWORD", PROCESSED)
        uids = b" ".join(d for d in data if isinstance(d, bytes)).split()
        return [uid.decode("ascii") for uid in sorted(uids, key=int)[:limit]]

    def fetch(self, ref: str) -> bytes:
        data = self._command("FETCH", ref, "(BODY.PEEK[])")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return bytes(item[1])
        raise MailboxError(f"{self.where}: message {ref} vanished while being read")

    def mark(self, ref: str, *, unreadable: bool) -> None:
        flags = [PROCESSED, "\\Seen"] + ([UNREADABLE, "\\Flagged"] if unreadable else [])
        try:
            typ, data = self._conn.uid("STORE", ref, "+FLAGS.SILENT", f"({' '.join(flags)})")
        except imaplib.IMAP4.error as exc:
            typ, data = "NO", [str(exc).encode()]
        if typ != "OK" and not self._warned:  # the database still records each report once
            log.warning("%s: cannot mark reports as processed: %s", self.where, _says(data))
            self._warned = True

    def close(self) -> None:
        with suppress(OSError, imaplib.IMAP4.error):
            if self._conn.state == "SELECTED":
                self._conn.close()
            self._conn.logout()

    def _command(self, name: str, *args: str) -> list[object]:
        try:
            typ, data = self._conn.uid(name, *args)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"{self.where}: {name} failed: {_says(exc)}") from None
        if typ != "OK":
            raise MailboxError(f"{self.where}: {name} failed: {_says(data)}")
        return list(data)


def _quoted(folder: str) -> str:
    """An IMAP quoted string (imaplib sends arguments as they are)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _says(value: object) -> str:
    """A server's answer or an error as one short line."""
    if isinstance(value, list):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = re.sub(r"\s+", " ", str(value)).strip() or type(value).__name__
    return text[:300]


# --------------------------------------------------------------------------- maildir


class Maildir:
    """A maildir folder (new/, cur/, tmp/) written by the mail server's delivery agent."""

    source = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = path
        if not ((path / "new").is_dir() and (path / "cur").is_dir()):
            raise MailboxError(f"maildir://{path}: not a maildir (no new/ and cur/ folders)")

    def unprocessed(self, limit: int) -> list[str]:
        refs = []
        for sub in ("new", "cur"):
            for name in sorted(os.listdir(self.path / sub)):
                if not name.startswith(".") and "S" not in _flags(name):
                    refs.append(f"{sub}/{name}")
        return refs[:limit]

    def fetch(self, ref: str) -> bytes:
        try:
            return (self.path / ref).read_bytes()
        except OSError as exc:
            raise MailboxError(f"maildir://{self.path}: cannot read {ref}: {exc}") from None

    def mark(self, ref: str, *, unreadable: bool) -> None:
        name = ref.split("/", 1)[1]
        base = name.split(":2,", 1)[0]
        flags = set(_flags(name)) | {"S"} | ({"F"} if unreadable else set())
        with suppress(FileNotFoundError):  # another reader marked it meanwhile
            os.rename(self.path / ref, self.path / "cur" / f"{base}:2,{''.join(sorted(flags))}")

    def close(self) -> None:
        return None


def _flags(name: str) -> str:
    """The flags of a maildir file name (`unique:2,FLAGS`)."""
    _, sep, flags = name.partition(":2,")
    return flags if sep else ""
