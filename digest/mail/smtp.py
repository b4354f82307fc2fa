"""One SMTP connection, opened on first use and reused: connect, TLS, login, transactions.

Used by `digest.mailer.SmtpMailer`, one per sending thread. `send` returns on acceptance,
raises `TransactionFailed` for a reply that settles the message (4xx retry, 5xx bounce), and
lets `OSError` through for a connection that broke (the caller reconnects and retries).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from digest.config import Settings


@dataclass(frozen=True)
class SmtpOptions:
    host: str = "localhost"
    port: int = 25
    username: str = ""
    password: str = ""
    tls: str = "none"  # none | starttls | ssl
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = None  # default: the system's trusted CAs
    local_hostname: str | None = None
    idle_check: float = 15.0  # NOOP a connection idle this long before trusting it again

    def __post_init__(self) -> None:
        if self.tls not in ("none", "starttls", "ssl"):
            raise ValueError(f"smtp tls mode {self.tls!r} is not none, starttls or ssl")

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpOptions:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            tls=settings.smtp_tls,
            timeout=settings.smtp_timeout,
        )


class TransactionFailed(Exception):
    """The server answered this message with a refusal (not an OSError: nothing broke)."""

    def __init__(self, status: Literal["retry", "bounce"], code: int | None, detail: str):
        super().__init__(detail)
        self.status: Literal["retry", "bounce"] = status
        self.code = code
        self.detail = detail


class ServerClosing(smtplib.SMTPServerDisconnected):
    """A 421 reply: the server is closing this connection; the message was not taken."""


class ConnectFailed(OSError):
    """No connection could be opened: refused, unreachable, no greeting, TLS failure."""


class SmtpConnection:
    def __init__(self, options: SmtpOptions) -> None:
        self.options = options
        self._smtp: smtplib.SMTP | None = None
        self._last_used = 0.0
        self.opened = 0  # connections opened so far, for reports and tests
        self._context: ssl.SSLContext | None = None

    def send(self, sender: str, recipient: str, data: bytes) -> tuple[int, str]:
        """Run MAIL / RCPT / DATA for one recipient; the accepting reply's code and text."""
        smtp = self._ready()
        options = _mail_options(smtp, sender, recipient, data)
        text: bytes | str
        if smtp.has_extn("pipelining"):
            code, text = self._pipelined(smtp, sender, recipient, data, options)
        else:
            self._step(smtp, "MAIL FROM", smtp.mail(sender, options), permanent="retry")
            self._step(smtp, "RCPT TO", smtp.rcpt(recipient), permanent="bounce")
            smtp.putcmd("data")
            code, text = smtp.getreply()
            if code == 354:  # smtplib's own data() dot-stuffs with a slow regex
                smtp.send(_dot_stuffed(data))
                code, text = smtp.getreply()
        self._last_used = time.monotonic()
        self._step(smtp, "DATA", (code, text), permanent="bounce")
        return code, _text(text)

    def _pipelined(
        self, smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes, options: list[str]
    ) -> tuple[int, bytes]:
        """MAIL, RCPT and DATA in one write (RFC 2920): two round trips a message, not four."""
        extra = "".join(f" {option}" for option in options)
        commands = f"MAIL FROM:{_quoted(sender)}{extra}\r\nRCPT TO:{_quoted(recipient)}\r\nDATA\r\n"
        smtp.send(commands.encode("utf-8"))
        mail, rcpt, go = smtp.getreply(), smtp.getreply(), smtp.getreply()
        if go[0] == 354 and not (_ok(mail) and _ok(rcpt)):
            smtp.send(b".\r\n")  # a server that opened DATA with no recipient: send nothing
            smtp.getreply()
        self._step(smtp, "MAIL FROM", mail, permanent="retry")
        self._step(smtp, "RCPT TO", rcpt, permanent="bounce")
        if go[0] != 354:
            self._step(smtp, "DATA", go, permanent="bounce")
        smtp.send(_dot_stuffed(data))
        return smtp.getreply()

    @property
    def is_open(self) -> bool:
        return self._smtp is not None

    def discard(self) -> None:
        """Drop the connection without a goodbye (it is broken or in an unknown state)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def quit(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def _step(
        self,
        smtp: smtplib.SMTP,
        stage: str,
        reply: tuple[int, bytes | str],
        permanent: Literal["retry", "bounce"],
    ) -> None:
        code, text = reply
        if 200 <= code < 300:
            return
        if code == 421:
            self.discard()
            raise ServerClosing(f"{stage}: 421 {_text(text)}")
        detail = f"{stage}: {code} {_text(text)}"
        self._reset(smtp)
        # A 5xx to MAIL FROM is about our sender or account, not the recipient: retry later.
        status: Literal["retry", "bounce"] = permanent if 500 <= code < 600 else "retry"
        raise TransactionFailed(status, code, detail)

    def _reset(self, smtp: smtplib.SMTP) -> None:
        """RSET after a refused step, so the next message starts a clean transaction."""
        try:
            code, _ = smtp.rset()
        except (OSError, smtplib.SMTPException):
            code = 0
        if code != 250:
            self.discard()

    def _ready(self) -> smtplib.SMTP:
        """The open connection (checked with NOOP after idling), or a new one."""
        smtp = self._smtp
        if smtp is not None and time.monotonic() - self._last_used > self.options.idle_check:
            try:
                alive = smtp.noop()[0] == 250
            except (OSError, smtplib.SMTPException):
                alive = False
            if not alive:
                self.discard()
                smtp = None
        if smtp is None:
            try:
                smtp = self._smtp = self._connect()
            except OSError as exc:
                raise ConnectFailed(f"{type(exc).__name__}: {exc}") from exc
        self._last_used = time.monotonic()
        return smtp

    def _tls(self) -> ssl.SSLContext:
        if self._context is None:  # loading the system's CAs takes ~80 ms: once per thread
            self._context = self.options.ssl_context or ssl.create_default_context()
        return self._context

    def _connect(self) -> smtplib.SMTP:
        opt = dataclasses.replace(
            self.options, local_hostname=self.options.local_hostname or _fqdn()
        )
        smtp: smtplib.SMTP
        if opt.tls == "ssl":
            smtp = smtplib.SMTP_SSL(
                opt.host, opt.port, opt.local_hostname, timeout=opt.timeout, context=self._tls()
            )
        else:
            smtp = smtplib.SMTP(opt.host, opt.port, opt.local_hostname, timeout=opt.timeout)
        self.opened += 1
        try:
            # Without this, a message written as several TLS records waits on Nagle and the
            # server's delayed ACK (40 ms a message on Linux); commands go out whole anyway.
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo_or_helo_if_needed()
            if opt.tls == "starttls":
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            if opt.username:
                smtp.login(opt.username, opt.password)
        except smtplib.SMTPServerDisconnected:
            smtp.close()
            raise
        except smtplib.SMTPResponseException as exc:  # e.g. 535 login refused
            smtp.close()
            if exc.smtp_code == 421:
                raise
            raise TransactionFailed(
                "retry", exc.smtp_code, f"connect: {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from None
        except smtplib.SMTPException as exc:  # e.g. no STARTTLS or no usable AUTH offered
            smtp.close()
            raise TransactionFailed("retry", None, f"connect: {exc}") from None
        except BaseException:
            smtp.close()
            raise
        return smtp


@functools.cache
def _fqdn() -> str:
    """This machine's name for EHLO; smtplib would look it up again on every connection."""
    return socket.getfqdn()


def _mail_options(smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> list[str]:
    """SMTPUTF8 for an internationalised address, BODY=8BITMIME for 8-bit content."""
    options: list[str] = []
    if not (sender.isascii() and recipient.isascii()):
        if not smtp.has_extn("smtputf8"):
            raise TransactionFailed("bounce", None, "server does not support SMTPUTF8")
        options.append("SMTPUTF8")
    if not data.isascii() and smtp.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    return options


def _ok(reply: tuple[int, bytes]) -> bool:
    return 200 <= reply[0] < 300


_PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\Z")


def _quoted(address: str) -> str:
    """`<addr>` for MAIL FROM / RCPT TO; smtplib.quoteaddr's parser only when needed."""
    return f"<{address}>" if _PLAIN_ADDRESS.match(address) else smtplib.quoteaddr(address)


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA payload: leading dots doubled (RFC 5321 4.5.2), CRLF "." CRLF at the end."""
    data = data.replace(b"\n.", b"\n..")  # what smtplib's (?m)^\. regex does, 20x faster
    if data.startswith(b"."):
        data = b"." + data
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:500]
