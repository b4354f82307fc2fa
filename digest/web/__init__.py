"""The web pages (Starlette): subscribe, confirm, manage, unsubscribe, feedback, web copy and feed.

`app` builds the application; one module per page group (`subscribe`, `manage`, `actions`,
`feed`), with `forms` (CSRF, headers), `limits` (rate limits) and `mail` (emails the pages send).
"""

from digest.web.app import create_app, serve, start_in_thread

__all__ = ["create_app", "serve", "start_in_thread"]
