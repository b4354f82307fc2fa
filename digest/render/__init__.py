"""Rendering: MJML layouts compiled once, Jinja per email (`renderer`), and what an email shows
of each paper (`context`). Knows no database and no mail server."""

from digest.render.renderer import RenderedEmail, Renderer

__all__ = ["RenderedEmail", "Renderer"]
