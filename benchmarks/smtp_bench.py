"""SMTP throughput and MIME build cost.

    python benchmarks/smtp_bench.py [--messages 3000] [--naive-messages 400]

1. Messages per second of ~40 KB digests into a fast SMTP sink on loopback (run in its own
   process so it does not share our GIL): `SmtpMailer` over 1, 2 and 4 reused connections,
   against the naive way, one new connection (connect, EHLO, MAIL, RCPT, DATA, QUIT) per message;
   without PIPELINING; and both over implicit TLS, where a new connection costs a handshake.
2. Build cost per message: `digest.message.build_message` against `email.message.EmailMessage`
   with the default policy (set_content + add_alternative + as_bytes), and with DKIM signing.

Message bodies are made of real abstracts from ../shared/corpus/papers.json (beside the repository).
"""

from __future__ import annotations

import argparse
import json
import smtplib
import socket
import ssl
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digest.mail.dkim import DkimSigner
from digest.mail.mailers import Envelope, SmtpMailer
from digest.mail.message import build_message, make_message_id
from digest.mail.smtp import SmtpOptions
from tests.smtp_server import self_signed_cert, sink_process

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "papers.json"
SENDER = "Paper Digest <digest@example.org>"
UNSUB = "<https://digest.example.org/u/eyJzIjo0Mn0.Zk3c9Q.c2lnbmF0dXJlLXBhcnQtb2YtdG9rZW4>"


def digest_bodies(papers: list[dict[str, str]], offset: int) -> tuple[str, str]:
    """A ~32 KB HTML and ~8 KB text body, shaped like a 10-paper digest (MJML-style markup)."""
    picked = [papers[(offset + i) % len(papers)] for i in range(10)]
    cell = (
        '<td align="left" style="font-size:0px;padding:10px 25px;word-break:break-word;">'
        '<div style="font-family:Helvetica,Arial,sans-serif;font-size:13px;line-height:1.5;'
        'text-align:left;color:#374151;">'
    )
    rows = []
    for p in picked:
        rows.append(
            '<tr><td style="padding:16px 24px;font-family:Helvetica,Arial,sans-serif;'
            'font-size:15px;line-height:1.5;color:#1f2937">'
            f'<a href="https://huggingface.co/papers/{p["id"]}" style="color:#1d4ed8;'
            f'font-weight:600;text-decoration:none">{escape(p["title"])}</a>'
            '<div style="margin:6px 0;color:#6b7280;font-size:13px">'
            '<span style="background:#eef2ff;border-radius:10px;padding:2px 8px">diffusion</span>'
            "</div>"
            f"<table><tr>{cell}{escape(p['abstract'])}</div></td></tr>"
            f"<tr>{cell}Authors: A. Lovelace, A. Turing, G. Hopper et al. · ▲ 42</div></td></tr>"
            "</table>"
            f'<a href="https://arxiv.org/abs/{p["id"]}">arXiv</a> · '
            f'<a href="https://arxiv.org/pdf/{p["id"]}">PDF</a></td></tr>'
        )
    html = (
        '<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0">'
        + "\n".join(rows)
        + "</table></body></html>"
    )
    text = "\n\n".join(
        f"{p['title']}\nhttps://huggingface.co/papers/{p['id']}\n{p['abstract']}" for p in picked
    )
    return html, text


def ours(n: int, html: str, text: str, dkim: DkimSigner | None = None) -> bytes:
    return build_message(
        subject=f"10 new papers on diffusion, OOD — Mar 4 ({n})",
        html=html,
        text=text,
        headers={"List-Unsubscribe": UNSUB, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        sender=SENDER,
        to=f"reader{n}@example.com",
        message_id=make_message_id(public_id=f"pubid{n:04d}", digest_date=date(2026, 3, 4),
                                   domain="example.org"),
        date=datetime(2026, 3, 4, 7, 0, tzinfo=UTC),
        dkim=dkim,
    )  # fmt: skip


def naive(n: int, html: str, text: str) -> bytes:
    msg = EmailMessage()
    msg["Subject"] = f"10 new papers on diffusion, OOD — Mar 4 ({n})"
    msg["From"] = SENDER
    msg["To"] = f"reader{n}@example.com"
    msg["Date"] = format_datetime(datetime(2026, 3, 4, 7, 0, tzinfo=UTC))
    msg["Message-ID"] = f"<digest.2026-03-04.{n}@example.org>"
    msg["List-Unsubscribe"] = UNSUB
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


def per_message_us(build, count: int, bodies: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for n in range(count):
        html, text = bodies[n % len(bodies)]
        build(n, html, text)
    return (time.perf_counter() - start) / count * 1e6


def test_key() -> DkimSigner:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return DkimSigner("bench", "example.org", pem)


def pooled_rate(
    port: int, connections: int, messages: list[bytes], tls: ssl.SSLContext | None = None
) -> tuple[float, int]:
    options = SmtpOptions(
        host="127.0.0.1", port=port, tls="ssl" if tls else "none", ssl_context=tls
    )
    mailer = SmtpMailer(options, connections=connections)
    envelopes = (
        Envelope(i, "bounces@example.org", f"reader{i}@example.com", data)
        for i, data in enumerate(messages)
    )
    start = time.perf_counter()
    sent = sum(r.status == "sent" for r in mailer.send_many(envelopes))
    elapsed = time.perf_counter() - start
    mailer.close()
    return sent / elapsed, sent


def naive_rate(
    port: int, messages: list[bytes], tls: ssl.SSLContext | None = None, nodelay: bool = False
) -> tuple[float, int]:
    start = time.perf_counter()
    for i, data in enumerate(messages):
        smtp = (
            smtplib.SMTP_SSL("127.0.0.1", port, timeout=30, context=tls)
            if tls
            else smtplib.SMTP("127.0.0.1", port, timeout=30)
        )
        if nodelay:
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with smtp:
            smtp.sendmail("bounces@example.org", [f"reader{i}@example.com"], data)
    elapsed = time.perf_counter() - start
    return len(messages) / elapsed, len(messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000, help="per pooled run")
    parser.add_argument("--naive-messages", type=int, default=400)
    parser.add_argument("--build-messages", type=int, default=500)
    args = parser.parse_args()

    papers = json.loads(CORPUS.read_text())
    bodies = [digest_bodies(papers, i * 10) for i in range(50)]
    messages = [ours(i, *bodies[i % len(bodies)]) for i in range(args.messages)]
    size = sum(map(len, messages)) / len(messages)
    print(f"message size: {size / 1024:.1f} KB on the wire (mean of {len(messages)})")

    print("\n== MIME build cost per message ==")
    naive_us = per_message_us(naive, args.build_messages, bodies)
    ours_us = per_message_us(ours, args.build_messages, bodies)
    signer = test_key()
    dkim_us = per_message_us(lambda n, h, t: ours(n, h, t, signer), args.build_messages, bodies)
    print(f"EmailMessage, default policy : {naive_us:8.0f} us")
    print(f"build_message (ours)         : {ours_us:8.0f} us   {naive_us / ours_us:5.1f}x faster")
    print(f"build_message + DKIM (RSA-2048): {dkim_us:6.0f} us")

    print("\n== SMTP into a fast sink on 127.0.0.1 (separate process) ==")
    with sink_process(pipelining=False) as sink:
        rate, count = pooled_rate(sink.port, 4, messages)
        print(f"SmtpMailer, 4 connections, no PIPELINING: {rate:7.0f} msg/s  ({count} messages)")
    with sink_process() as sink:
        base, count = naive_rate(sink.port, messages[: args.naive_messages])
        before = sink.stats()["connections"]
        print(f"naive, new connection per msg : {base:7.0f} msg/s  ({count} messages)")
        for connections in (1, 2, 4):
            before = sink.stats()["connections"]
            rate, count = pooled_rate(sink.port, connections, messages)
            opened = sink.stats()["connections"] - before
            print(
                f"SmtpMailer, {connections} connection(s)     : {rate:7.0f} msg/s  "
                f"({count} messages, {opened} connections, {rate / base:4.1f}x naive, "
                f"{rate * size / 1e6:5.1f} MB/s)"
            )

    print("\n== the same over implicit TLS (port 465 style), self-signed certificate ==")
    with tempfile.TemporaryDirectory() as tmp:
        _, client = self_signed_cert(Path(tmp))
        files = (str(Path(tmp) / "smtp-cert.pem"), str(Path(tmp) / "smtp-key.pem"))
        with sink_process(tls_files=files) as sink:
            base, count = naive_rate(sink.port, messages[: args.naive_messages], client)
            print(f"naive, new TLS connection per msg: {base:7.0f} msg/s  ({count} messages)")
            fair, count = naive_rate(sink.port, messages[: args.naive_messages], client, True)
            print(f"  the same with TCP_NODELAY      : {fair:7.0f} msg/s  ({count} messages)")
            rate, count = pooled_rate(sink.port, 4, messages, client)
            print(
                f"SmtpMailer, 4 TLS connections    : {rate:7.0f} msg/s  ({count} messages, "
                f"{rate / base:4.1f}x naive)"
            )


if __name__ == "__main__":
    main()
