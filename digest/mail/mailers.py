"""The mail edge: a `Mailer` takes envelopes and reports, one by one, what became of each.

`SmtpMailer` keeps a few SMTP connections open and sends on them in parallel threads;
`FileMailer` writes `.eml` files for `digest send --dry-run` and never opens a socket.
"""

from __future__ import annotations

import os
import queue
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Literal, Protocol

from digest.config import ConfigError, Settings
from digest.mail.smtp import ConnectFailed, SmtpConnection, SmtpOptions, TransactionFailed

Status = Literal["sent", "retry", "bounce"]


class RateLimit(Protocol):
    """The shared sending rate (digest.store.counters.RateLimiter counts it in the database,
    for every worker on every machine): `acquire` blocks until one more message may go."""

    def acquire(self) -> None: ...


@dataclass(frozen=True)
class Envelope:
    """One message for one recipient; `key` identifies it to the caller (the outbox row id)."""

    key: int | str
    sender: str
    recipient: str
    data: bytes


@dataclass(frozen=True)
class SendResult:
    """sent: the server accepted it (2xx). retry: try later (4xx, timeout, dropped or refused
    connection). bounce: the server refused it for good (5xx)."""

    key: int | str
    status: Status
    code: int | None
    detail: str


class Mailer(Protocol):
    def send_many(self, envelopes: Iterable[Envelope]) -> Iterator[SendResult]:
        """One result per envelope, yielded as soon as its SMTP transaction ends.

        Results may come in a different order from the envelopes; match them by `key`.
        Consume the iterator to the end: envelopes queued behind an abandoned iterator are
        dropped unsent and unreported.
        """
        ...

    def close(self) -> None: ...


def envelope_sender(settings: Settings) -> str:
    """The bare address for MAIL FROM (where bounces go): DIGEST_RETURN_PATH, else DIGEST_FROM."""
    _, address = parseaddr(settings.return_path or settings.require_sender())
    if "@" not in address:
        raise ConfigError(f"DIGEST_RETURN_PATH / DIGEST_FROM: {address!r} is not an email address")
    return address


# --------------------------------------------------------------------------- files

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,200}\Z")  # ids or email addresses


class FileMailer:
    """Writes each message to `<out_dir>/<key>.eml` (dry runs, previews); no network."""

    def __init__(self, out_dir: Path | str) -> None:
        self.out_dir = Path(out_dir)

    def send_many(self, envelopes: Iterable[Envelope]) -> Iterator[SendResult]:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for envelope in envelopes:
            name = str(envelope.key)
            if not _SAFE_KEY.match(name):
                raise ValueError(f"envelope key {name!r} cannot be used as a file name")
            path = self.out_dir / f"{name}.eml"
            _write_atomically(path, envelope.data)
            yield SendResult(envelope.key, "sent", None, str(path))

    def close(self) -> None:
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- SMTP


@dataclass
class _Call:
    """One `send_many` call: where its results go, and whether its caller stopped listening."""

    results: queue.SimpleQueue[SendResult] = field(default_factory=queue.SimpleQueue)
    cancelled: bool = False


class SmtpMailer:
    """Sends over a pool of `connections` reused SMTP connections, one thread each.

    At most `2 * connections` envelopes are taken from the caller's iterable ahead of their
    results, and each connection carries one message at a time, so a crash of the caller can
    leave at most one accepted-but-unrecorded message per connection.

    When a message cannot get a connection twice in a row, messages that would need a new
    connection in the next `unreachable_pause` seconds are reported "retry" without trying,
    so a dead server costs two timeouts, not two per message.
    """

    def __init__(
        self,
        options: SmtpOptions,
        *,
        connections: int = 4,
        rate: RateLimit | None = None,
        unreachable_pause: float = 30.0,
    ) -> None:
        if connections < 1:
            raise ValueError("connections must be at least 1")
        self.options = options
        self.connections = connections
        self.rate = rate
        self._tasks: queue.SimpleQueue[tuple[Envelope, _Call] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self.unreachable_pause = unreachable_pause
        self._unreachable_until = 0.0
        self._unreachable = ""

    @classmethod
    def from_settings(cls, settings: Settings, rate: RateLimit | None = None) -> SmtpMailer:
        return cls(
            SmtpOptions.from_settings(settings), connections=settings.smtp_connections, rate=rate
        )

    def send_many(self, envelopes: Iterable[Envelope]) -> Iterator[SendResult]:
        self._start()
        call = _Call()
        source = iter(envelopes)
        ahead, exhausted = 0, False
        try:
            while True:
                # The caller's iterable is only ever advanced here, in the caller's thread.
                while not exhausted and ahead < 2 * self.connections:
                    envelope = next(source, None)
                    if envelope is None:
                        exhausted = True
                        break
                    self._tasks.put((envelope, call))
                    ahead += 1
                if ahead == 0:
                    return
                result = call.results.get()
                ahead -= 1
                yield result
        finally:
            # Queued envelopes of an abandoned call are skipped, never sent unreported.
            call.cancelled = True

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._tasks.put(None)
        for thread in threads:
            thread.join(timeout=self.options.timeout + 5)

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("SmtpMailer is closed")
            while len(self._threads) < self.connections:
                thread = threading.Thread(
                    target=self._work, name=f"smtp-{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        connection = SmtpConnection(self.options)
        try:
            while (task := self._tasks.get()) is not None:
                envelope, call = task
                if call.cancelled:
                    continue
                call.results.put(self._deliver(connection, envelope))
        finally:
            connection.quit()

    def _deliver(self, connection: SmtpConnection, envelope: Envelope) -> SendResult:
        """Send once; on a broken connection, once more on a fresh one; never raise."""
        failure = ""
        for attempt in range(2):
            if not connection.is_open and time.monotonic() < self._unreachable_until:
                # Another attempt just failed twice to connect: do not spend a timeout per
                # message while the server is down; the caller retries later.
                return SendResult(envelope.key, "retry", None, f"not tried: {self._unreachable}")
            try:
                if self.rate is not None:
                    self.rate.acquire()
                code, detail = connection.send(envelope.sender, envelope.recipient, envelope.data)
                return SendResult(envelope.key, "sent", code, detail)
            except TransactionFailed as exc:
                return SendResult(envelope.key, exc.status, exc.code, exc.detail)
            except ConnectFailed as exc:
                failure = _describe(exc)
                if attempt == 1:
                    self._unreachable = f"server unreachable ({failure})"
                    self._unreachable_until = time.monotonic() + self.unreachable_pause
            except OSError as exc:  # timeouts, resets, disconnects mid-transaction
                connection.discard()
                failure = _describe(exc)
            except Exception as exc:  # a bug must not hang the caller waiting for a result
                connection.discard()
                return SendResult(envelope.key, "retry", None, f"unexpected error: {exc!r}")
        return SendResult(envelope.key, "retry", None, f"connection failed twice: {failure}")


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:500]
