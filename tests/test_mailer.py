import re
import socket
import threading
from datetime import UTC, date, datetime

import pytest

from digest.config import ConfigError, Settings
from digest.mail.mailers import Envelope, FileMailer, SendResult, SmtpMailer, envelope_sender
from digest.mail.message import build_message, make_message_id
from digest.mail.smtp import SmtpOptions, _dot_stuffed
from digest.store.counters import RateLimiter
from tests.smtp_server import DROP, SmtpServer, self_signed_cert, slow

SENDER = "bounces@example.org"


@pytest.fixture(params=["pipelining", "one-command-at-a-time"])
def smtp_server(request):
    """Every test here runs against a server with and without PIPELINING (RFC 2920)."""
    with SmtpServer(pipelining=request.param == "pipelining") as server:
        yield server


def message(to: str, n: int = 1) -> bytes:
    return build_message(
        subject=f"Digest {n}",
        html=f"<p>Papers for {to}</p>",
        text=f"Papers for {to}",
        headers={"List-Unsubscribe": "<https://example.org/u/t>"},
        sender="Digest <digest@example.org>",
        to=to,
        message_id=make_message_id(public_id=f"pubid{n:04d}", digest_date=date(2026, 3, 4),
                                   domain="example.org"),
        date=datetime(2026, 3, 4, 7, 0, tzinfo=UTC),
    )  # fmt: skip


def envelope(key: int, to: str | None = None) -> Envelope:
    to = to or f"user{key}@example.com"
    return Envelope(key=key, sender=SENDER, recipient=to, data=message(to, key))


def mailer_for(server: SmtpServer, *, connections: int = 2, timeout: float = 5.0, **kw):
    options = SmtpOptions(host="127.0.0.1", port=server.port, timeout=timeout, **kw)
    return SmtpMailer(options, connections=connections)


def send(mailer: SmtpMailer, envelopes) -> dict:
    try:
        return {r.key: r for r in mailer.send_many(envelopes)}
    finally:
        mailer.close()


def test_delivers_a_well_formed_message(smtp_server):
    results = send(mailer_for(smtp_server), [envelope(1, "ada@example.com")])
    assert results[1] == SendResult(1, "sent", 250, "2.0.0 Queued")
    [got] = smtp_server.received
    assert got.sender == SENDER
    assert got.recipients == ("ada@example.com",)
    msg = got.parse()
    assert msg["To"] == "ada@example.com"
    assert msg["Message-ID"] == "<digest.2026-03-04.pubid0001@example.org>"
    assert [p.get_content_type() for p in msg.get_payload()] == ["text/plain", "text/html"]


def test_replies_are_honoured_per_recipient(smtp_server):
    smtp_server.script("soft@example.com", "rcpt", "451 4.7.1 Greylisted, try later")
    smtp_server.script("hard@example.com", "rcpt", "550 5.1.1 No such user")
    smtp_server.script("full@example.com", "data", "452 4.2.2 Mailbox full")
    smtp_server.script("spam@example.com", "data", "554 5.7.1 Rejected as spam")
    names = ["ok1", "soft", "hard", "full", "spam", "ok2"]
    envs = [envelope(i, f"{name}@example.com") for i, name in enumerate(names)]
    results = send(mailer_for(smtp_server), envs)
    got = {names[k]: (r.status, r.code) for k, r in results.items()}
    assert got == {
        "ok1": ("sent", 250),
        "soft": ("retry", 451),
        "hard": ("bounce", 550),
        "full": ("retry", 452),
        "spam": ("bounce", 554),
        "ok2": ("sent", 250),
    }
    assert "RCPT TO: 550 5.1.1 No such user" in results[2].detail
    assert sorted(r.recipients[0] for r in smtp_server.received) == [
        "ok1@example.com",
        "ok2@example.com",
    ]


def test_a_refused_sender_is_retried_not_blamed_on_the_recipient(smtp_server):
    smtp_server.script(SENDER, "mail", "553 5.7.1 Sender not allowed")
    [result] = send(mailer_for(smtp_server), [envelope(1)]).values()
    assert (result.status, result.code) == ("retry", 553)


def test_dropped_connection_mid_data_reconnects_and_sends_once_more(smtp_server):
    smtp_server.script("flaky@example.com", "data", DROP, "250 2.0.0 Fine now")
    envs = [envelope(1, "flaky@example.com"), envelope(2)]
    results = send(mailer_for(smtp_server, connections=1), envs)
    assert results[1] == SendResult(1, "sent", 250, "2.0.0 Fine now")
    assert results[2].status == "sent"
    assert smtp_server.dropped == 1
    assert smtp_server.connections == 2
    assert len(smtp_server.received) == 2


def test_connection_dropped_twice_is_a_retry(smtp_server):
    smtp_server.script("gone@example.com", "data", DROP)
    results = send(mailer_for(smtp_server, connections=1), [envelope(1, "gone@example.com")])
    assert results[1].status == "retry"
    assert results[1].code is None
    assert "connection failed twice" in results[1].detail
    assert smtp_server.dropped == 2


def test_421_closes_the_connection_and_the_message_goes_on_a_new_one(smtp_server):
    smtp_server.script(SENDER, "mail", "421 4.7.0 Too many messages, closing", "250 OK")
    results = send(mailer_for(smtp_server, connections=1), [envelope(1), envelope(2)])
    assert [r.status for r in results.values()] == ["sent", "sent"]
    assert smtp_server.connections == 2


def test_timeout_is_retried_on_a_new_connection_then_reported(smtp_server):
    smtp_server.script("slow@example.com", "data", slow(30))
    envs = [envelope(1, "slow@example.com"), envelope(2)]
    results = send(mailer_for(smtp_server, connections=1, timeout=0.3), envs)
    assert results[1].status == "retry"
    assert "timed out" in results[1].detail
    assert results[2].status == "sent"
    assert smtp_server.connections == 3


def test_refused_connection_is_a_retry():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mailer = SmtpMailer(SmtpOptions(host="127.0.0.1", port=port, timeout=2), connections=1)
    results = send(mailer, [envelope(1)])
    assert results[1].status == "retry"
    assert "ConnectionRefusedError" in results[1].detail


def test_a_silent_server_costs_two_timeouts_not_two_per_message():
    with socket.socket() as silent:  # accepts TCP connections, never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        options = SmtpOptions(host="127.0.0.1", port=silent.getsockname()[1], timeout=0.2)
        mailer = SmtpMailer(options, connections=2)
        results = send(mailer, [envelope(i) for i in range(30)])
    assert {r.status for r in results.values()} == {"retry"}
    skipped = [r for r in results.values() if r.detail.startswith("not tried: server unreachable")]
    assert len(skipped) >= 30 - 2 * 2  # each thread's first message tried twice, no more
    assert "timed out" in skipped[0].detail


def test_a_few_connections_are_reused_for_many_messages(smtp_server):
    envs = [envelope(i) for i in range(100)]
    results = send(mailer_for(smtp_server, connections=3), envs)
    assert len(results) == 100
    assert {r.status for r in results.values()} == {"sent"}
    assert len(smtp_server.received) == 100
    assert 1 <= smtp_server.connections <= 3
    assert sorted(smtp_server.message_ids) == sorted(
        f"<digest.2026-03-04.pubid{i:04d}@example.org>" for i in range(100)
    )


def test_results_arrive_while_the_input_is_still_being_read(smtp_server):
    mailer = mailer_for(smtp_server, connections=2)
    taken: list[int] = []

    def envelopes():
        for i in range(20):
            taken.append(i)
            yield envelope(i)

    try:
        stream = mailer.send_many(envelopes())
        next(stream)
        # Never more than two envelopes per connection ahead of the first result.
        assert len(taken) <= 4
        rest = list(stream)
    finally:
        mailer.close()
    assert len(rest) == 19
    assert len(smtp_server.received) == 20


def test_one_mailer_serves_several_batches_on_the_same_connections(smtp_server):
    mailer = mailer_for(smtp_server, connections=2)
    try:
        for batch in range(3):
            keys = range(batch * 10, batch * 10 + 10)
            assert [r.status for r in mailer.send_many(envelope(k) for k in keys)] == ["sent"] * 10
    finally:
        mailer.close()
    assert smtp_server.connections <= 2
    with pytest.raises(RuntimeError, match="closed"):
        list(mailer.send_many([envelope(99)]))


def test_from_settings_reads_the_smtp_settings(smtp_server):
    settings = Settings(smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_connections=3,
                        smtp_timeout=7.0)  # fmt: skip
    mailer = SmtpMailer.from_settings(settings)
    assert mailer.connections == 3
    assert mailer.options.timeout == 7.0
    assert send(mailer, [envelope(1)])[1].status == "sent"


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_tls_and_login(tmp_path, tls, mechanism):
    server_ctx, client_ctx = self_signed_cert(tmp_path)
    users = {"digest": "s3cret-pass"}
    contexts = (server_ctx, client_ctx)
    with SmtpServer(tls=tls, contexts=contexts, users=users, offer_auth=(mechanism,)) as server:
        mailer = mailer_for(server, tls=tls, ssl_context=client_ctx, username="digest",
                            password="s3cret-pass")  # fmt: skip
        results = send(mailer, [envelope(1), envelope(2)])
        assert [r.status for r in results.values()] == ["sent", "sent"]
        assert set(server.auth_mechanisms) == {mechanism}
        assert len(server.received) == 2


def test_wrong_password_is_a_retry_with_the_reason(tmp_path):
    server_ctx, client_ctx = self_signed_cert(tmp_path)
    with SmtpServer(tls="ssl", contexts=(server_ctx, client_ctx), users={"u": "p"}) as server:
        mailer = mailer_for(server, tls="ssl", ssl_context=client_ctx, username="u",
                            password="wrong")  # fmt: skip
        [result] = send(mailer, [envelope(1)]).values()
    assert (result.status, result.code) == ("retry", 535)
    assert "connect: 535" in result.detail
    assert server.received == []


def test_untrusted_certificate_is_refused(tmp_path):
    server_ctx, _ = self_signed_cert(tmp_path)
    with SmtpServer(tls="ssl", contexts=(server_ctx, server_ctx)) as server:
        [result] = send(mailer_for(server, tls="ssl"), [envelope(1)]).values()
    assert result.status == "retry"
    assert "CERTIFICATE_VERIFY_FAILED" in result.detail
    assert server.received == []


def test_envelope_sender_prefers_the_return_path():
    assert envelope_sender(Settings(mail_from="Digest <digest@example.org>")) == (
        "digest@example.org"
    )
    settings = Settings(mail_from="digest@example.org", return_path="bounces@example.org")
    assert envelope_sender(settings) == "bounces@example.org"
    with pytest.raises(ConfigError, match="DIGEST_FROM"):
        envelope_sender(Settings())
    with pytest.raises(ConfigError, match="is not an email address"):
        envelope_sender(Settings(mail_from="digest@example.org", return_path="nobody"))


def test_file_mailer_writes_eml_files_and_opens_no_socket(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("FileMailer opened a socket")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    mailer = FileMailer(tmp_path / "out")
    envs = [envelope(7), envelope(8)]
    results = list(mailer.send_many(envs))
    mailer.close()
    assert [(r.key, r.status) for r in results] == [(7, "sent"), (8, "sent")]
    assert (tmp_path / "out" / "7.eml").read_bytes() == envs[0].data
    assert results[1].detail == str(tmp_path / "out" / "8.eml")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["7.eml", "8.eml"]


@pytest.mark.parametrize("key", ["../escape", "a/b", ".hidden", "x\n", ""])
def test_file_mailer_refuses_a_key_that_is_not_a_file_name(tmp_path, key):
    bad = Envelope(key=key, sender=SENDER, recipient="a@example.com", data=b"x")
    with pytest.raises(ValueError, match="cannot be used as a file name"):
        list(FileMailer(tmp_path).send_many([bad]))


def test_file_mailer_accepts_an_address_as_key(tmp_path):
    good = Envelope(key="ada+ml@example.com", sender=SENDER, recipient="a@example.com", data=b"x")
    [result] = FileMailer(tmp_path).send_many([good])
    assert (tmp_path / "ada+ml@example.com.eml").read_bytes() == b"x"
    assert result.status == "sent"


def test_starttls_required_but_not_offered_is_a_retry_with_the_reason(smtp_server):
    [result] = send(mailer_for(smtp_server, tls="starttls"), [envelope(1)]).values()
    assert result.status == "retry"
    assert "STARTTLS extension not supported" in result.detail
    assert smtp_server.received == []


def test_lines_starting_with_a_dot_survive_delivery(smtp_server):
    data = build_message(
        subject="dots",
        html=".\n..\n.hidden",
        text=".\n.. two\n" + "x" * 75 + ".end",
        headers={},
        sender="digest@example.org",
        to="ada@example.com",
        message_id="<dots@example.org>",
        date=datetime(2026, 3, 4, tzinfo=UTC),
    )
    results = send(mailer_for(smtp_server), [Envelope(1, SENDER, "ada@example.com", data)])
    assert results[1].status == "sent"
    [got] = smtp_server.received
    assert got.data == data
    text, html = (p.get_payload(decode=True) for p in got.parse().get_payload())
    assert text.replace(b"\r\n", b"\n") == b".\n.. two\n" + b"x" * 75 + b".end\n"
    assert html.replace(b"\r\n", b"\n") == b".\n..\n.hidden\n"


def test_an_abandoned_batch_sends_nothing_more(smtp_server):
    mailer = mailer_for(smtp_server, connections=1)
    try:
        stream = mailer.send_many(envelope(i) for i in range(50))
        first = next(stream)
        stream.close()
        # Whatever was already queued is skipped, not sent behind the caller's back.
        [last] = mailer.send_many([envelope(100)])
        assert last.status == "sent"
    finally:
        mailer.close()
    assert first.status == "sent"
    assert len(smtp_server.received) <= 1 + 2 + 1  # the first, at most the in-flight two, #100


def test_connections_closed_by_the_server_while_idle_are_replaced(smtp_server):
    mailer = mailer_for(smtp_server, connections=2, idle_check=0.0)
    try:
        assert {r.status for r in mailer.send_many(envelope(i) for i in range(6))} == {"sent"}
        assert smtp_server.disconnect_all() >= 1
        second = list(mailer.send_many(envelope(i) for i in range(6, 12)))
    finally:
        mailer.close()
    assert [r.status for r in second] == ["sent"] * 6
    assert len(smtp_server.received) == 12


def test_internationalised_address_uses_smtputf8(smtp_server):
    results = send(mailer_for(smtp_server), [envelope(1, "jürgen@example.com")])
    assert results[1].status == "sent"
    [got] = smtp_server.received
    assert got.recipients == ("jürgen@example.com",)


def test_internationalised_address_without_server_support_bounces():
    with SmtpServer(smtputf8=False) as server:
        results = send(mailer_for(server), [envelope(1, "jürgen@example.com"), envelope(2)])
    assert (results[1].status, results[1].detail) == ("bounce", "server does not support SMTPUTF8")
    assert results[2].status == "sent"


class SharedClock:
    def __init__(self) -> None:
        self.now = 1_772_604_000.0
        self.lock = threading.Lock()
        self.slept = 0.0

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds
            self.slept += seconds


def test_rate_limiter_is_asked_before_every_message(smtp_server, sqlite_engine):
    clock = SharedClock()
    rate = RateLimiter(sqlite_engine, 5, 1000, clock=clock, sleep=clock.sleep)
    options = SmtpOptions(host="127.0.0.1", port=smtp_server.port, timeout=5)
    mailer = SmtpMailer(options, connections=2, rate=rate)
    results = send(mailer, [envelope(i) for i in range(12)])
    assert {r.status for r in results.values()} == {"sent"}
    start = 1_772_604_000
    assert rate.used("hour", start) == 12
    seconds = [rate.used("second", start + s) for s in range(int(clock.now) - start + 1)]
    assert sum(seconds) == 12  # no window kept beyond a minute, all within this run
    assert max(seconds) <= 5
    assert clock.slept >= 2


@pytest.mark.parametrize(
    "data", [b".", b".a\r\n..b\r\nc.\r\n", b"x\r\n.\r\n", b"no dots", b"\r\n.\r\n.\r\n", b""]
)
def test_dot_stuffing_matches_smtplib(data):
    expected = re.sub(rb"(?m)^\.", b"..", data)
    expected += b"" if expected.endswith(b"\r\n") else b"\r\n"
    assert _dot_stuffed(data) == expected + b".\r\n"
