"""The web server under bad requests: a malformed body is a 400, an oversized one a 413 (by
Content-Length or while it streams), an unexpected failure a plain 500; every error page
carries the security headers."""

from __future__ import annotations

import socket
import time
import warnings

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from digest.store.tables import Subscriber
from digest.web.app import create_app, start_in_thread
from digest.web.forms import MAX_BODY, SECURITY_HEADERS
from tests.smtp_server import free_port
from tests.test_web import BASE, SETTINGS, RecordingMailer, csrf_of, form

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "The anyio.abc.BlockingPortal", DeprecationWarning)
    from starlette.testclient import TestClient


@pytest.fixture
def client(engine, now):
    app = create_app(
        SETTINGS, engine, mailer_factory=lambda: RecordingMailer([]), clock=lambda: now
    )
    return TestClient(app, base_url=BASE, follow_redirects=False, raise_server_exceptions=False)


def has_security_headers(response: httpx.Response) -> bool:
    return all(response.headers.get(k) == v for k, v in SECURITY_HEADERS.items()) and (
        response.headers.get("cache-control") == "no-store"
    )


def nobody(engine) -> bool:
    with Session(engine) as s:
        return not list(s.exec(select(Subscriber)))


MULTIPART = "multipart/form-data; boundary=XyZ"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"garbage", MULTIPART),
        (b"--XyZ\r\nno colon in this header\r\n\r\nv\r\n--XyZ--\r\n", MULTIPART),
        (b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nunfinished", MULTIPART),
        (b"anything", "multipart/form-data"),  # no boundary at all
        (  # a file, where the pages take none
            b'--XyZ\r\nContent-Disposition: form-data; name="email"; filename="a.txt"\r\n\r\n'
            b"ada@example.org\r\n--XyZ--\r\n",
            MULTIPART,
        ),
        (  # far more fields than any page has
            b"".join(
                b'--XyZ\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n1\r\n' % n
                for n in range(60)
            )
            + b"--XyZ--\r\n",
            MULTIPART,
        ),
    ],
    ids=["garbage", "bad-header", "unfinished", "no-boundary", "file", "too-many-fields"],
)
@pytest.mark.parametrize("path", ["/", "/unsubscribe/x", "/manage/x"])
def test_malformed_bodies_are_400_with_security_headers(client, engine, path, body, content_type):
    r = client.post(path, content=body, headers={"content-type": content_type})
    assert r.status_code == 400, r.text
    assert has_security_headers(r)
    assert "Traceback" not in r.text and len(r.text) < 200
    assert nobody(engine)


def test_a_well_formed_multipart_form_still_works(client, engine) -> None:
    csrf = csrf_of(client.get("/"))
    r = client.post("/", files={k: (None, v) for k, v in (form() | {"csrf": csrf}).items()})
    assert r.status_code == 200 and "Check your inbox" in r.text
    assert not nobody(engine)


def test_an_oversized_body_is_413_before_it_is_read(client, engine) -> None:
    body = b"email=" + b"x" * 10_000_000  # 10 MB took ~11 s of CPU to parse before
    started = time.monotonic()
    r = client.post(
        "/", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 413 and r.text == "Request body too large."
    assert time.monotonic() - started < 2
    assert has_security_headers(r)
    assert nobody(engine)
    bad = client.post("/", content=b"a=1", headers={"content-length": "lots"})
    assert bad.status_code == 400 and has_security_headers(bad)
    fits = "a" * (MAX_BODY - 100)
    assert client.post("/", data={"email": fits}).status_code == 400  # parsed: no CSRF token


def test_a_streamed_body_is_cut_off_at_the_limit(sqlite_engine) -> None:
    """Over real HTTP (uvicorn): a chunked upload without Content-Length."""
    port = free_port()
    server, thread = start_in_thread(
        SETTINGS, sqlite_engine, "127.0.0.1", port, mailer_factory=lambda: RecordingMailer([])
    )
    try:

        def chunks():
            for _ in range(200):  # 20 MB, no Content-Length: parsing it took minutes of CPU
                yield b"x" * 100_000

        url = f"http://127.0.0.1:{port}/"
        started = time.monotonic()
        try:
            r = httpx.post(
                url,
                content=chunks(),
                headers={"content-type": "application/x-www-form-urlencoded"},
                timeout=10,
            )
        except httpx.TransportError:  # the server may close while the upload is still going
            r = None
        if r is not None:
            assert "content-length" not in r.request.headers
            assert r.status_code == 413 and has_security_headers(r)
        assert time.monotonic() - started < 5  # refused, not parsed
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:  # still serving
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert nobody(sqlite_engine)


def test_not_found_and_wrong_method_pages_carry_the_headers(client) -> None:
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and has_security_headers(missing)
    wrong = client.put("/")
    assert wrong.status_code == 405 and has_security_headers(wrong)


def test_an_unexpected_failure_is_one_plain_line_with_the_headers(client, engine) -> None:
    csrf = csrf_of(client.get("/"))
    counter = SQLModel.metadata.tables["counter"]
    with engine.begin() as conn:  # a half-restored database: the rate-limit table is gone
        conn.execute(sa.text("DROP TABLE counter"))
    try:
        r = client.post("/", data=form() | {"csrf": csrf})
    finally:
        counter.create(engine)  # the PostgreSQL database is shared by the tests that follow
    assert r.status_code == 500
    assert r.text == "Something went wrong on our side; please try again later."
    assert has_security_headers(r)
    assert nobody(engine)
