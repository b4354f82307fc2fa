import base64
import random
from datetime import UTC, date, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.parser import BytesParser, Parser

import pytest

from digest.mail.message import (
    MessageError,
    _base64_lines,
    _canonical,
    build_message,
    domain_of,
    make_message_id,
)

WHEN = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
UNSUB = "<https://digest.example.org/u/eyJzIjo0Mn0.Zk3c9Q.sig>"


def build(**kw):
    values = {
        "subject": "5 new papers on OOD, diffusion — Mar 4",
        "html": "<p>Hello <b>Zoë</b></p>\n<p>Résumé</p>",
        "text": "Hello Zoë\n\nRésumé",
        "headers": {
            "List-Unsubscribe": UNSUB,
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        "sender": "Paper Digest <digest@example.org>",
        "to": "ada@example.com",
        "message_id": make_message_id(public_id="Xy-9_abcDEF01234", digest_date=date(2026, 3, 4),
                                      domain="example.org"),
        "date": WHEN,
    }  # fmt: skip
    values.update(kw)
    return build_message(**values)


def parse(data: bytes):
    return BytesParser(policy=policy.default).parsebytes(data)


def content(part) -> str:
    # On the wire a line break is CRLF; the parser keeps it in decoded text.
    return part.get_content().replace("\r\n", "\n")


def test_message_id_is_deterministic_per_subscriber_and_day():
    pid = "Xy-9_abcDEF01234"
    a = make_message_id(public_id=pid, digest_date=date(2026, 3, 4), domain="Example.org")
    assert a == f"<digest.2026-03-04.{pid}@example.org>"
    assert a == make_message_id(public_id=pid, digest_date=date(2026, 3, 4), domain="example.org")
    other = make_message_id(
        public_id="Zz-9_abcDEF01234", digest_date=date(2026, 3, 4), domain="example.org"
    )
    assert a != other
    next_day = make_message_id(public_id=pid, digest_date=date(2026, 3, 5), domain="example.org")
    assert a != next_day


def test_message_id_refuses_a_bad_domain_or_public_id():
    with pytest.raises(MessageError, match="domain"):
        make_message_id(public_id="pubid0001", digest_date=date(2026, 3, 4), domain="no spaces.org")
    for bad in ("42", "a b c d e f g h", "x" * 65, "pub<id>0001"):
        with pytest.raises(MessageError, match="public id"):
            make_message_id(public_id=bad, digest_date=date(2026, 3, 4), domain="example.org")


def test_headers_parse_back():
    msg = parse(build())
    assert msg["Subject"] == "5 new papers on OOD, diffusion — Mar 4"
    assert msg["From"].addresses[0].display_name == "Paper Digest"
    assert msg["From"].addresses[0].addr_spec == "digest@example.org"
    assert msg["To"] == "ada@example.com"
    assert msg["Message-ID"] == "<digest.2026-03-04.Xy-9_abcDEF01234@example.org>"
    assert msg["Date"].datetime == WHEN
    assert msg["MIME-Version"] == "1.0"
    assert msg["List-Unsubscribe"] == UNSUB
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.defects == []


def test_multipart_alternative_text_first_then_html_utf8_round_trip():
    msg = parse(build())
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert content(parts[0]) == "Hello Zoë\n\nRésumé\n"
    assert content(parts[1]) == "<p>Hello <b>Zoë</b></p>\n<p>Résumé</p>\n"
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert all(p.defects == [] for p in parts)


def test_wire_format_is_ascii_crlf_with_short_lines():
    long_text = ("word " * 400 + "\n") * 3 + "tab\tend \n.\nlast line"
    data = build(text=long_text, html="<td>" + "x" * 3000 + "</td>\r\nnext\rline")
    data.decode("ascii")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    parts = list(parse(data).iter_parts())
    assert content(parts[0]) == long_text + "\n"
    assert content(parts[1]) == "<td>" + "x" * 3000 + "</td>\nnext\nline\n"


def test_boundary_never_occurs_in_a_body_that_quotes_it():
    first = build()
    boundary = parse(first).get_boundary()
    data = build(text=f"--{boundary}\n--{boundary}--", html=f"--{boundary}")
    parts = list(parse(data).iter_parts())
    assert content(parts[0]) == f"--{boundary}\n--{boundary}--\n"
    assert len(parts) == 2


def test_long_ascii_header_is_folded_and_unfolds_to_the_same_value():
    subject = " ".join(f"keyword{i}" for i in range(40))
    data = build(subject=subject)
    head = data.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    assert parse(data)["Subject"] == subject


def test_non_ascii_display_names_and_address():
    data = build(sender="Zoë’s Digest <digest@example.org>", to="Jürgen <jürgen@bücher.de>")
    # An internationalised address travels as UTF-8 (RFC 6532): parse the text, not bytes.
    msg = Parser(policy=policy.default).parsestr(data.decode("utf-8"))
    assert msg["From"].addresses[0].display_name == "Zoë’s Digest"
    assert msg["To"].addresses[0].display_name == "Jürgen"
    assert msg["To"].addresses[0].domain == "xn--bcher-kva.de"
    assert msg["To"].addresses[0].username == "jürgen"


def test_date_keeps_its_offset():
    tz = timezone(timedelta(hours=-5))
    msg = parse(build(date=datetime(2026, 3, 4, 2, 0, tzinfo=tz)))
    assert msg["Date"] == "Wed, 04 Mar 2026 02:00:00 -0500"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"subject": "two\r\nBcc: evil@example.net"}, "Subject must be a single line"),
        ({"headers": {"X-Evil": "a\nBcc: x@y.z"}}, "X-Evil must be a single line"),
        ({"headers": {"From": "x@y.z"}}, "header name 'From'"),
        ({"headers": {"Bad Name": "x"}}, "header name 'Bad Name'"),
        ({"to": "not an address"}, "To 'not an address' is not an email address"),
        ({"message_id": "digest-1"}, "Message-ID"),
        ({"date": datetime(2026, 3, 4, 7, 0)}, "timezone-aware"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(change, problem):
    with pytest.raises(MessageError, match=problem):
        build(**change)


def test_domain_of():
    assert domain_of("Digest <digest@Example.ORG>") == "example.org"
    with pytest.raises(MessageError):
        domain_of("nobody")


def test_same_bytes_as_compat_parser_sees():
    # The legacy parser (what many MTAs' Python tooling uses) agrees on structure.
    msg = message_from_bytes(build())
    assert msg.is_multipart()
    assert [p.get_content_type() for p in msg.get_payload()] == ["text/plain", "text/html"]
    assert msg.get_payload()[1].get_payload(decode=True).decode().replace("\r\n", "\n") == (
        "<p>Hello <b>Zoë</b></p>\n<p>Résumé</p>\n"
    )


def test_long_non_ascii_subject_is_encoded_in_short_words_of_whole_characters():
    subject = "Nouveaux articles sur la diffusion, l’OOD et les modèles génératifs — 4 mars 🎉" * 2
    data = build(subject=subject, sender='"Doe, Jane" <digest@example.org>')
    head = data.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    msg = parse(data)
    assert msg["Subject"] == subject
    assert msg["From"].addresses[0].display_name == "Doe, Jane"


def test_base64_round_trips_awkward_text_in_short_crlf_lines():
    rng = random.Random(20260304)
    alphabet = "ab =.\t-é€🎉\x01<>\"'" + " " * 5 + "\n" * 2 + "\r"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        if rng.random() < 0.3:
            text += "x" * rng.randint(60, 300) + "=" * rng.randint(0, 5)
        encoded = _base64_lines(_canonical(text))
        lines = encoded.split(b"\r\n")
        assert lines[-1] == b""
        assert all(0 < len(line) <= 76 for line in lines[:-1]), text
        encoded.decode("ascii")
        normal = text.replace("\r\n", "\n").replace("\r", "\n")
        expected = normal if normal.endswith("\n") else normal + "\n"
        assert base64.b64decode(encoded) == expected.replace("\n", "\r\n").encode()


def test_base64_lines_are_what_the_standard_library_writes():
    for size in (0, 1, 56, 57, 58, 114, 1000, 50_001):
        data = bytes(random.Random(size).randrange(256) for _ in range(size))
        ours = _base64_lines(data)
        assert ours.replace(b"\r\n", b"\n") == base64.encodebytes(data)
