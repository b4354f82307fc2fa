"""`digest run` with DIGEST_RUN_WEB=true serves the pages too, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from pytest_httpserver import HTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_serves_the_web_pages_and_stops_on_sigterm(tmp_path: Path, httpserver: HTTPServer):
    httpserver.expect_request("/api/daily_papers").respond_with_json([])
    port = free_port()
    env = os.environ | {
        "DIGEST_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "DIGEST_HF_API_URL": httpserver.url_for("").rstrip("/"),
        "DIGEST_FROM": "digest@example.org",
        "DIGEST_SECRET_KEY": "a-test-secret-that-is-long-enough",
        "DIGEST_SMTP_PORT": str(free_port()),
        "DIGEST_RUN_WEB": "true",
        "DIGEST_WEB_PORT": str(port),
        "DIGEST_BASE_URL": f"http://127.0.0.1:{port}",  # set explicitly: links may stay local
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    init = [sys.executable, "-m", "digest", "init"]
    assert subprocess.run(init, cwd=tmp_path, env=env, capture_output=True).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        page = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert page is not None and page.status_code == 200
        assert "<form" in page.text
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "digest run: stopped" in output
