"""Loopback SMTP servers for tests and benchmarks.

`SmtpServer`: a real aiosmtpd server on 127.0.0.1 (plain, STARTTLS or implicit TLS, optional
AUTH) that records what it accepted and answers as scripted, per recipient:

    server.script("bob@example.org", "rcpt", "451 4.7.1 Try again later")  # always
    server.script("bob@example.org", "data", DROP, "250 OK")  # drop once, then accept
    server.script("carol@example.org", "data", slow(5))       # reply after 5 s

Stages: "mail" (keyed by the envelope sender), "rcpt" and "data" (keyed by recipient). Answers
are consumed in order; the last one repeats. An answer is a reply line, `DROP` (close the
connection without replying) or `slow(seconds)` (wait, then accept as normal).

`SinkServer`: a minimal, fast SMTP responder (accepts everything, counts messages, bytes and
connections) for benchmarks; `sink_process()` runs one in a separate process so it does not
share the GIL with the client being measured.

`self_signed_cert(dir)` writes a certificate for 127.0.0.1 and returns server and client TLS
contexts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import multiprocessing
import socket
import ssl
import threading
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

DROP = "drop"
STAGES = ("mail", "rcpt", "data")


def slow(seconds: float) -> str:
    return f"slow:{seconds}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    data: bytes

    def parse(self) -> Message:
        return message_from_bytes(self.data)


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    answers: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    dropped: int = 0
    pipelining: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self, stage: str, key: str) -> str | None:
        with self.lock:
            queue = self.answers.get((stage, key.lower()))
            if not queue:
                return None
            return queue.pop(0) if len(queue) > 1 else queue[0]

    async def _answer(self, server: SMTP, stage: str, key: str) -> str | None:
        answer = self.next_answer(stage, key)
        if answer is None:
            return None
        if answer == DROP:
            with self.lock:
                self.dropped += 1
            assert server.transport is not None
            server.transport.abort()
            await asyncio.sleep(3600)  # cancelled by connection_lost
        if answer.startswith("slow:"):
            await asyncio.sleep(float(answer[5:]))
            return None
        return answer

    async def handle_EHLO(self, server: SMTP, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:  # fmt: skip
        session.host_name = hostname
        if self.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server: SMTP, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:  # fmt: skip
        answer = await self._answer(server, "mail", address)
        if _refusal(answer):
            return answer
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return answer or "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:  # fmt: skip
        answer = await self._answer(server, "rcpt", address)
        if _refusal(answer):
            return answer
        envelope.rcpt_tos.append(address)
        return answer or "250 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        accepted = "250 2.0.0 Queued"
        for rcpt in envelope.rcpt_tos:
            answer = await self._answer(server, "data", rcpt)
            if _refusal(answer):
                return answer
            accepted = answer or accepted
        item = Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content))
        with self.lock:
            self.received.append(item)
        return accepted


def _refusal(answer: str | None) -> bool:
    return answer is not None and not answer.startswith("2")


class _CountingController(Controller):
    """Counts TCP connections: aiosmtpd builds one SMTP protocol object per connection."""

    connections = 0
    live: weakref.WeakSet[SMTP]

    def factory(self) -> SMTP:
        self.connections += 1
        with warnings.catch_warnings():
            # AUTH over implicit TLS looks like "AUTH without TLS" to aiosmtpd; it is not.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            protocol = super().factory()
        self.live.add(protocol)
        return protocol


class SmtpServer:
    """A scripted aiosmtpd server on 127.0.0.1; use as a context manager or via fixtures."""

    def __init__(
        self,
        *,
        tls: str = "none",  # none | starttls | ssl
        contexts: tuple[ssl.SSLContext, ssl.SSLContext] | None = None,
        users: dict[str, str] | None = None,
        offer_auth: tuple[str, ...] = ("PLAIN", "LOGIN"),
        pipelining: bool = True,
        smtputf8: bool = True,
    ) -> None:
        self.tls = tls
        self.handler = _Handler(pipelining=pipelining)
        self.port = free_port()
        self.users = users
        self.auth_mechanisms: list[str] = []
        server_ctx = contexts[0] if contexts else None
        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": self.port}
        if tls == "ssl":
            kwargs["ssl_context"] = server_ctx
        if tls == "starttls":
            kwargs.update(tls_context=server_ctx, require_starttls=True)
        if users is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True)
            # aiosmtpd only knows about STARTTLS; with implicit TLS the socket is already secure.
            kwargs["auth_require_tls"] = tls == "starttls"
            kwargs["auth_exclude_mechanism"] = {"PLAIN", "LOGIN"} - set(offer_auth)
        if not smtputf8:
            kwargs["enable_SMTPUTF8"] = False
        self.controller = _CountingController(self.handler, **kwargs)
        self.controller.live = weakref.WeakSet()

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:  # fmt: skip
        assert self.users is not None
        self.auth_mechanisms.append(mechanism)
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(user) == password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpServer:
        self.controller.start()
        self.controller.connections = 0  # start() makes one probe connection
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def disconnect_all(self) -> int:
        """Close every open client connection, as a server does to idle ones; how many."""

        async def close() -> int:
            open_ = [p for p in self.controller.live if p.transport is not None]
            for protocol in open_:
                assert protocol.transport is not None
                protocol.transport.close()
            await asyncio.sleep(0.05)  # let the closes reach the clients
            return len(open_)

        return asyncio.run_coroutine_threadsafe(close(), self.controller.loop).result(10)

    def script(self, key: str, stage: str, *answers: str) -> None:
        if stage not in STAGES:
            raise ValueError(f"stage {stage!r} is not one of {STAGES}")
        with self.handler.lock:
            self.handler.answers[(stage, key.lower())] = list(answers)

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def message_ids(self) -> list[str]:
        """The Message-ID of every accepted message, in arrival order (to count duplicates)."""
        return [str(item.parse()["Message-ID"]) for item in self.received]

    @property
    def connections(self) -> int:
        return self.controller.connections

    @property
    def dropped(self) -> int:
        return self.handler.dropped


# --------------------------------------------------------------------------- TLS


def write_self_signed(cert_file: Path, key_file: Path) -> None:
    """A fresh certificate for 127.0.0.1 and localhost, and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def self_signed_cert(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting it) for a fresh certificate for 127.0.0.1."""
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    write_self_signed(cert_file, key_file)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


# --------------------------------------------------------------------------- sink


class _SinkProtocol(asyncio.Protocol):
    """Just enough SMTP to accept mail quickly: replies 250 to everything, 354 to DATA."""

    def __init__(self, stats: dict[str, int], pipelining: bool = True) -> None:
        self.stats = stats
        self.ehlo = (
            b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
            if pipelining
            else (b"250-sink\r\n250 8BITMIME\r\n")
        )
        self.buffer = bytearray()
        self.in_data = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.stats["connections"] += 1
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out = []
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    break
                self.stats["messages"] += 1
                self.stats["bytes"] += end + 2
                del self.buffer[: end + 5]
                self.in_data = False
                out.append(b"250 2.0.0 OK\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            verb = bytes(self.buffer[:4]).upper()
            del self.buffer[: end + 2]
            if verb == b"EHLO":
                out.append(self.ehlo)
            elif verb == b"DATA":
                self.in_data = True
                self.buffer[:0] = b"\r\n"  # the terminator search expects a preceding CRLF
                out.append(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                out.append(b"221 bye\r\n")
                self.transport.write(b"".join(out))
                self.transport.close()
                return
            else:
                out.append(b"250 OK\r\n")
        if out:
            self.transport.write(b"".join(out))


class SinkServer:
    """The fast sink in a background thread of this process (see `sink_process`)."""

    def __init__(
        self, port: int = 0, pipelining: bool = True, tls_files: tuple[str, str] | None = None
    ) -> None:
        self.port = port or free_port()
        self.pipelining = pipelining
        self.ssl: ssl.SSLContext | None = None
        if tls_files:  # implicit TLS, as on port 465
            self.ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.ssl.load_cert_chain(*tls_files)
        self.stats = {"connections": 0, "messages": 0, "bytes": 0}
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> SinkServer:
        self._thread.start()
        make = self.loop.create_server(
            lambda: _SinkProtocol(self.stats, self.pipelining), "127.0.0.1", self.port, ssl=self.ssl
        )
        self._server = asyncio.run_coroutine_threadsafe(make, self.loop).result(10)
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


def _sink_main(
    port: int, pipelining: bool, tls_files: tuple[str, str] | None, ready: Any, commands: Any
) -> None:
    sink = SinkServer(port, pipelining, tls_files).start()
    ready.set()
    while (command := commands.recv()) != "stop":
        if command == "stats":
            commands.send(dict(sink.stats))
    commands.send(dict(sink.stats))
    sink.stop()


@dataclass
class SinkProcess:
    port: int
    _conn: Any

    def stats(self) -> dict[str, int]:
        self._conn.send("stats")
        return dict(self._conn.recv())


@contextmanager
def sink_process(
    pipelining: bool = True, tls_files: tuple[str, str] | None = None
) -> Iterator[SinkProcess]:
    """A `SinkServer` in its own process; `.stats()` reads its counters.

    `tls_files` (certificate, key) makes it speak implicit TLS (see `self_signed_cert`).
    """
    ctx = multiprocessing.get_context("spawn")
    port = free_port()
    ready = ctx.Event()
    ours, theirs = ctx.Pipe()
    process = ctx.Process(
        target=_sink_main, args=(port, pipelining, tls_files, ready, theirs), daemon=True
    )
    process.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("the SMTP sink process did not start")
        yield SinkProcess(port, ours)
    finally:
        try:
            ours.send("stop")
            ours.recv()
        except (OSError, EOFError):
            pass
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()
