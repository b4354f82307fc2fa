import base64
import random
import re
from datetime import UTC, date, datetime

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from digest.config import ConfigError, Settings
from digest.mail.dkim import DkimSigner, _relaxed_body
from digest.mail.mailers import Envelope, SmtpMailer
from digest.mail.message import build_message, make_message_id
from digest.mail.smtp import SmtpOptions
from tests.smtp_server import SmtpServer

SELECTOR = "digest2026"


@pytest.fixture(scope="module")
def rsa_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def dns_for(record: bytes, domain: str = "example.org"):
    def dnsfunc(name, timeout=5):
        return record if name == f"{SELECTOR}._domainkey.{domain}.".encode() else None

    return dnsfunc


def digest_message(signer, **kw):
    values = {
        "subject": "5 new papers on OOD — Mar 4",
        "html": "<p>Zoë</p>",
        "text": "Zoë",
        "headers": {
            "List-Unsubscribe": "<https://example.org/u/tok>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        "sender": "Digest <digest@example.org>",
        "to": "ada@example.com",
        "message_id": make_message_id(public_id="pubid0001", digest_date=date(2026, 3, 4),
                                      domain="example.org"),
        "date": datetime(2026, 3, 4, 7, tzinfo=UTC),
        "dkim": signer,
    }  # fmt: skip
    values.update(kw)
    return build_message(**values)


def signed_headers(data: bytes) -> set[str]:
    sig = data.split(b"\r\n\r\n")[0].decode()
    tags = dict(
        part.strip().split("=", 1) for part in sig.split(":", 1)[1].replace("\r\n", "").split(";")
    )
    return {h.strip().lower() for h in tags["h"].split(":")}


def test_signed_message_verifies_and_covers_the_headers_that_matter(rsa_key):
    pem, record = rsa_key
    data = digest_message(DkimSigner(SELECTOR, "example.org", pem))
    assert data.startswith(b"DKIM-Signature: ")
    assert dkim.verify(data, dnsfunc=dns_for(record))
    assert {"from", "to", "subject", "date", "message-id", "list-unsubscribe",
            "list-unsubscribe-post"} <= signed_headers(data)  # fmt: skip
    assert b"c=relaxed/relaxed" in data


def test_signature_tags(rsa_key):
    pem, _ = rsa_key
    signer = DkimSigner(SELECTOR, "example.org", pem, clock=lambda: 1_772_604_000.0)
    head = digest_message(signer).split(b"\r\n\r\n")[0].decode()
    assert "d=example.org; s=digest2026;" in head
    assert "t=1772604000;" in head
    assert "a=rsa-sha256" in head
    assert max(len(line) for line in head.split("\r\n")) <= 998


def test_relays_that_refold_headers_and_rewrap_whitespace_do_not_break_it(rsa_key):
    pem, record = rsa_key
    data = digest_message(DkimSigner(SELECTOR, "example.org", pem), subject="A  b\tc")
    head, body = data.split(b"\r\n\r\n", 1)
    head = head.replace(b"Subject: A  b\tc", b"Subject:   A b\r\n  c ")
    body = body.replace(b"\r\n", b"  \r\n") + b"\r\n\r\n"
    assert dkim.verify(head + b"\r\n\r\n" + body, dnsfunc=dns_for(record))


def test_a_changed_header_or_body_fails_verification(rsa_key):
    pem, record = rsa_key
    data = digest_message(DkimSigner(SELECTOR, "example.org", pem))
    tampered = data.replace(b"https://example.org/u/tok", b"https://evil.example/u/tok")
    assert not dkim.verify(tampered, dnsfunc=dns_for(record))
    start = data.index(b"Content-Transfer-Encoding: base64\r\n\r\n") + 37  # a part's body
    other = b"A" if data[start : start + 1] != b"A" else b"B"
    changed_body = data[:start] + other + data[start + 1 :]
    assert dkim.verify(data, dnsfunc=dns_for(record))
    assert not dkim.verify(changed_body, dnsfunc=dns_for(record))


def signed_names(data: bytes) -> list[str]:
    sig = data.split(b"\r\n\r\n")[0].decode().replace("\r\n", "")
    h = re.search(r"\bh=([^;]*);", sig)
    assert h is not None
    return [name.strip() for name in h.group(1).split(":")]


def test_headers_absent_from_the_message_are_signed_absent_only_when_over_signed(rsa_key):
    pem, record = rsa_key
    data = digest_message(DkimSigner(SELECTOR, "example.org", pem), headers={})
    names = signed_names(data)
    # a message without List-Unsubscribe is signed as having none, so none can be added
    assert names.count("list-unsubscribe") == 1 and names.count("list-unsubscribe-post") == 1
    assert "list-id" not in names and "feedback-id" not in names
    assert dkim.verify(data, dnsfunc=dns_for(record))
    added = data.replace(
        b"\r\nMIME-Version", b"\r\nList-Unsubscribe: <https://evil.example/u>\r\nMIME-Version"
    )
    assert not dkim.verify(added, dnsfunc=dns_for(record))


def test_from_to_subject_and_list_unsubscribe_are_over_signed(rsa_key):
    pem, record = rsa_key
    headers = {
        "List-Unsubscribe": "<https://example.org/u/tok>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": "Paper Digest <papers.example.org>",
        "Feedback-ID": "digest:example.org",
    }
    data = digest_message(DkimSigner(SELECTOR, "example.org", pem), headers=headers)
    names = signed_names(data)
    for name in ("from", "to", "subject", "list-unsubscribe", "list-unsubscribe-post"):
        assert names.count(name) == 2, name
    for name in ("date", "message-id", "list-id", "feedback-id"):
        assert names.count(name) == 1, name
    h_lines = data[data.index(b"h=") : data.index(b"bh=")].split(b"\r\n")
    assert len(h_lines) > 2 and max(len(line) for line in h_lines) <= 78  # h= is folded
    assert dkim.verify(data, dnsfunc=dns_for(record))
    # a copy added anywhere (top: what some clients show; bottom: what others show) breaks it
    for name, value in [
        (b"From", b"Bank <security@bank.example>"),
        (b"Subject", b"Urgent"),
        (b"To", b"someone@example.net"),
        (b"List-Unsubscribe", b"<https://evil.example/u>"),
        (b"List-Unsubscribe-Post", b"List-Unsubscribe=One-Click"),
    ]:
        line = name + b": " + value + b"\r\n"
        head, body = data.split(b"\r\n\r\n", 1)
        assert not dkim.verify(line + data, dnsfunc=dns_for(record)), name
        assert not dkim.verify(head + b"\r\n" + line + b"\r\n" + body, dnsfunc=dns_for(record)), (
            name
        )
    # a header that is signed but not over-signed: a second Feedback-ID on top still verifies
    assert dkim.verify(b"Feedback-ID: x:y\r\n" + data, dnsfunc=dns_for(record))


@pytest.mark.parametrize("pipelining", [True, False])
def test_signature_survives_delivery_by_the_mailer(rsa_key, pipelining):
    pem, record = rsa_key
    data = digest_message(DkimSigner(SELECTOR, "example.org", pem), text=".dot\n" * 3)
    with SmtpServer(pipelining=pipelining) as server:
        mailer = SmtpMailer(SmtpOptions(host="127.0.0.1", port=server.port), connections=1)
        envelope = Envelope(1, "bounces@example.org", "ada@example.com", data)
        [result] = mailer.send_many([envelope])
        mailer.close()
    assert result.status == "sent"
    [got] = server.received
    assert got.data == data
    assert dkim.verify(got.data, dnsfunc=dns_for(record))


def test_from_settings(tmp_path, rsa_key):
    pem, record = rsa_key
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(pem)
    assert DkimSigner.from_settings(Settings()) is None
    signer = DkimSigner.from_settings(
        Settings(
            dkim_key_file=str(key_file),
            dkim_selector=SELECTOR,
            mail_from="Digest <digest@Example.org>",
        )
    )
    assert signer is not None
    assert signer.domain == "example.org"
    assert dkim.verify(digest_message(signer), dnsfunc=dns_for(record))


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"dkim_key_file": "/nonexistent/dkim.pem", "dkim_selector": "s"},
         "DIGEST_DKIM_KEY_FILE: cannot read /nonexistent/dkim.pem"),
        ({"dkim_selector": ""}, "DIGEST_DKIM_SELECTOR: set the selector"),
        ({"dkim_selector": "bad selector"}, "not a valid DNS label"),
        ({"mail_from": ""}, "DIGEST_FROM"),
        ({"key": b"p=MIIBIjANBgkqh"}, "DIGEST_DKIM_KEY_FILE: .*dkim.pem: the key is not an unenc"),
        ({"key": b"-----BEGIN RSA PRIVATE KEY-----\ngarbage\n-----END RSA PRIVATE KEY-----\n"},
         "DIGEST_DKIM_KEY_FILE: .*not an unencrypted PEM"),
        ({"key": "ed25519"}, "DIGEST_DKIM_KEY_FILE: .*not an RSA private key"),
        ({"dkim_domain": "localhost"}, "DIGEST_DKIM_DOMAIN: .*not a domain name"),
    ],
)  # fmt: skip
def test_bad_settings_fail_early_with_a_clear_message(tmp_path, rsa_key, settings, problem):
    key_file = tmp_path / "dkim.pem"
    key = settings.pop("key", rsa_key[0])
    if key == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    key_file.write_bytes(key)
    values = {"dkim_key_file": str(key_file), "dkim_selector": SELECTOR,
              "mail_from": "digest@example.org", **settings}  # fmt: skip
    with pytest.raises(ConfigError, match=problem):
        DkimSigner.from_settings(Settings(**values))


def test_relaxed_body_canonicalisation_matches_the_rfc_rules():
    rng = random.Random(6376)
    for _ in range(300):
        body = "".join(rng.choice(["a", " ", "\t", "\r\n", "é"]) for _ in range(rng.randint(0, 60)))
        raw = body.encode()
        expected = re.sub(rb"[ \t]+\r\n", b"\r\n", re.sub(rb"[ \t]+", b" ", raw))
        expected = re.sub(rb"(\r\n)+\Z", b"", expected)
        expected = expected + b"\r\n" if expected else b""
        assert _relaxed_body(raw) == expected, body
