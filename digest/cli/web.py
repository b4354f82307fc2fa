"""`digest serve`: the subscribe / manage / unsubscribe pages."""

from __future__ import annotations

import logging

import click

from digest.cli.app import App, input_errors, pass_app, setup_logging
from digest.mail.dkim import DKIM_MISSING, DkimSigner


@click.command("serve")
@click.option("--host", help="Address to listen on (default DIGEST_WEB_HOST, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default DIGEST_WEB_PORT, 8000).")
@pass_app
@input_errors
def serve(app: App, host: str | None, port: int | None) -> None:
    """Serve the web pages: subscribe, confirm, manage, one-click unsubscribe, feeds.

    Links in emails point at DIGEST_BASE_URL, so set it to where this server is reachable
    (behind a reverse proxy for HTTPS in production). Needs DIGEST_SECRET_KEY and DIGEST_FROM.

    \b
    Examples:
      digest serve                          # http://127.0.0.1:8000
      digest serve --host 0.0.0.0 --port 8080
    """
    from digest import web

    settings = app.settings
    settings.require_secret()
    settings.require_sender()
    setup_logging()
    if DkimSigner.from_settings(settings) is None:  # the pages send confirmation emails
        logging.getLogger("digest.web").warning(DKIM_MISSING)
    host = host or settings.web_host
    port = port or settings.web_port
    click.echo(f"serving on http://{host}:{port} (links use {settings.base_url})", err=True)
    web.serve(settings, app.engine, host, port)
