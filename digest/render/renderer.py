"""Templates -> RenderedEmail (subject, HTML, text, headers).

MJML is compiled once per template and Renderer, not once per email: the `.mjml.j2` files
keep their per-email Jinja (`{{ }}`, `{% %}`) where it survives an MJML compile (text,
unquoted attribute values, `<mj-raw>` around whole components), and use `[% %]` for the
layout, resolved before compiling. The compiled HTML is then a Jinja template rendered
for each email. `compile_once=False` is the straightforward way (Jinja -> MJML -> HTML for
every email), kept as the reference in tests and the baseline in benchmarks.

A digest's loop over papers is, in the HTML and in the text template, one
`{% block paper scoped %}`: everything a paper shows. Each block is rendered once per item
(the same paper with the same matches) and kept, with markers where it outputs
`feedback_url` and `loop.index`, the only other values it may use (output as they are: no
filter, no test on them). An email is then its template rendered once with a single marker
for the loop, the kept blocks with this email's feedback URL and each paper's number put in
at that place: byte for byte what rendering the whole template gives (tests compare it with
the straightforward way). Outside the block, a digest template uses `items` only to loop.

HTML parts are ASCII: other characters are written as character references (`&#9650;`),
the same document in a string of one byte per character.
"""

from __future__ import annotations

import functools
import secrets
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import jinja2.filters
import mjml
from markupsafe import escape

from digest import shipped
from digest.render.context import (
    DigestContext,
    DigestItem,
    build_digest_context,
    keywords_label,
    plural,
    split_keywords,
)
from digest.render.templates import check_overrides
from digest.render.templates import loader as template_loader
from digest.tokens import CONFIRM_MAX_AGE

__all__ = [
    "DigestContext",
    "DigestItem",
    "RenderedEmail",
    "Renderer",
    "build_digest_context",
]

TEMPLATES = shipped("templates") / "email"
SITE_NAME = "Paper digest"
KEPT_BLOCKS = 16384  # items whose paper blocks are kept (least recently used dropped first)
Block = tuple[str, ...]  # a rendered paper block: text, and the markers of its holes
# A digest template with its paper block replaced by a marker (see the module doc).
_FRAME = "{% extends parent %}{% block paper %}{{ marker }}{% endblock %}"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str
    headers: dict[str, str]


def _autoescape(name: str | None) -> bool:
    # Compiled HTML is loaded from a string (name None): escape it; text parts are not HTML.
    return name is None or not name.endswith(".txt.j2")


def _environment(
    loader: jinja2.BaseLoader, autoescape: Any = _autoescape, **syntax: str
) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=loader,
        auto_reload=False,  # loaded once per Renderer: no stat() of the file for every email
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        **syntax,  # type: ignore[arg-type]
    )
    env.filters["plural"] = plural
    env.filters["wrap"] = wrap
    return env


@jinja2.pass_environment
class Renderer:
    """Renders every email `digest` sends; one instance serves any number of emails."""

    def __init__(
        self,
        templates: Path | None = None,
        *,
        overrides: str | Path | None = None,
        site_name: str = SITE_NAME,
        compile_once: bool = True,
    ) -> None:
        if templates is not None:
            if not Path(templates).is_dir():
                raise FileNotFoundError(f"email templates directory {templates} does not exist")
            loader: jinja2.BaseLoader = jinja2.FileSystemLoader(templates)
        else:
            loader = template_loader("email", overrides)
        self.site_name = site_name
        self.compile_once = compile_once
        self._env = _environment(loader)
        self._layout = _environment(  # the layout stage has no values to escape
            loader,
            autoescape=False,
            block_start_string="[%",
            block_end_string="%]",
            variable_start_string="[[",
            variable_end_string="]]",
            comment_start_string="[#",
            comment_end_string="#]",
        )
        check_overrides(overrides, "email", [self._env, self._layout])
        self._compiled: dict[str, jinja2.Template] = {}
        self._lock = threading.Lock()
        self.compile_count = 0  # MJML compiles so far, for tests and benchmarks
        self._frames: dict[str, jinja2.Template] = {}
        # Markers no paper text contains (random); blocks are split at the common prefix.
        self._mark = f"mark{secrets.token_hex(16)}"
        self._papers_mark, self._url_mark, self._index_mark = (
            f"{self._mark}{what}" for what in "pun"
        )
        self.kept_blocks: Callable[[DigestItem], tuple[Block, Block]] = functools.lru_cache(
            maxsize=KEPT_BLOCKS
        )(self._paper_blocks)

    # ------------------------------------------------------------------ emails

    def digest(self, ctx: DigestContext) -> RenderedEmail:
        """The daily email: one block per paper, best first."""
        values = self.values(ctx)
        headers = _list_headers(ctx.unsubscribe_url)
        if not self.compile_once:
            return self._email("digest", ctx.subject, values, headers)
        kept = [self.kept_blocks(item) for item in ctx.items]
        url = ctx.feedback_url
        return RenderedEmail(
            subject=ctx.subject,
            html=self._with_kept_blocks(
                "html", values, [h for h, _ in kept], ascii_html(escape(url))
            ),
            text=self._with_kept_blocks("text", values, [t for _, t in kept], url).strip() + "\n",
            headers=headers,
        )

    def empty(self, ctx: DigestContext) -> RenderedEmail:
        """The short "nothing new today" note, for subscribers who asked for it."""
        values = self.values(ctx) | {"subject": ctx.empty_subject, "preview": ctx.header}
        return self._email("empty", ctx.empty_subject, values, _list_headers(ctx.unsubscribe_url))

    def confirm(self, *, email: str, confirm_url: str, keywords: str) -> RenderedEmail:
        """Double opt-in: the link that activates a new subscription."""
        subject = f"Confirm your subscription to {self.site_name}"
        values = {
            "subject": subject,
            "preview": "One click and your daily papers start arriving.",
            "email": email,
            "keywords_label": keywords_label(split_keywords(keywords), most=50, chars=300),
            "confirm_url": confirm_url,
            "expires_days": CONFIRM_MAX_AGE // 86400,
        }
        return self._email("confirm", subject, self._plain_values(values), {})

    def manage_link(self, *, email: str, manage_url: str) -> RenderedEmail:
        """Sent when someone subscribes an address that already has a subscription."""
        subject = f"Your {self.site_name} subscription"
        values = {
            "subject": subject,
            "preview": "A link to manage your subscription.",
            "email": email,
            "manage_url": manage_url,
        }
        return self._email("manage_link", subject, self._plain_values(values), {})

    # ------------------------------------------------------------------ machinery

    def values(self, ctx: DigestContext) -> dict[str, Any]:
        """What the digest templates see for `ctx`."""
        values = {f.name: getattr(ctx, f.name) for f in fields(ctx)}
        return values | {"site_name": self.site_name}

    def _plain_values(self, values: dict[str, Any]) -> dict[str, Any]:
        return values | {"site_name": self.site_name, "date_label": "", "view_url": None}

    def _email(
        self, name: str, subject: str, values: dict[str, Any], headers: dict[str, str]
    ) -> RenderedEmail:
        return RenderedEmail(
            subject=subject,
            html=self.html(name, values),
            text=self._env.get_template(f"{name}.txt.j2").render(values).strip() + "\n",
            headers=headers,
        )

    def html(self, name: str, values: dict[str, Any]) -> str:
        """The HTML part of template `name` (e.g. "digest") filled with `values`."""
        if not self.compile_once:
            self.compile_count += 1
            return ascii_html(_compile(self._mjml_template(name).render(values)))
        return ascii_html(self._compiled_template(name).render(values))

    def _with_kept_blocks(
        self,
        kind: str,
        values: dict[str, Any],
        blocks: list[Block],
        feedback_url: str,  # as the template outputs it (escaped in HTML)
    ) -> str:
        """The digest's `kind` template rendered with `values` and these paper blocks."""
        head, tail = self._frame(kind, self._digest_template(kind), values)
        out = [head]
        for number, block in enumerate(blocks, 1):
            holes = {self._url_mark: feedback_url, self._index_mark: str(number)}
            out += [holes.get(part, part) for part in block]
        out.append(tail)
        return "".join(out)

    def _frame(
        self, kind: str, template: jinja2.Template, values: dict[str, Any]
    ) -> tuple[str, str]:
        """What `template` renders before and after its papers."""
        frame = self._frames.get(kind)
        if frame is None:
            frame = self._frames[kind] = self._env.from_string(_FRAME)
        marked = values | {"items": (None,), "parent": template, "marker": self._papers_mark}
        parts = _render(frame, marked).split(self._papers_mark)
        if len(parts) != 2:
            raise RuntimeError(f"the {kind} digest template must loop once over items")
        if kind == "html":
            return ascii_html(parts[0]), ascii_html(parts[1])
        return parts[0], parts[1]

    def _paper_blocks(self, item: DigestItem) -> tuple[Block, Block]:
        """The HTML and the text paper block for `item` (kept: see `kept_blocks`)."""
        return self._paper_block("html", item), self._paper_block("text", item)

    def _paper_block(self, kind: str, item: DigestItem) -> Block:
        """The paper block of the digest's `kind` ("html", "text") template for `item`: text,
        and the markers of the holes for the email's feedback URL and the paper's number."""
        template = self._digest_template(kind)
        loop = SimpleNamespace(index=self._index_mark)
        values = {"item": item, "feedback_url": self._url_mark, "loop": loop}
        text = "".join(template.blocks["paper"](template.new_context(values, shared=True)))
        first, *rest = (ascii_html(text) if kind == "html" else text).split(self._mark)
        parts = [first]
        for piece in rest:  # each starts with the letter of its marker
            parts += (self._mark + piece[0], piece[1:])
        return tuple(parts)

    def _digest_template(self, kind: str) -> jinja2.Template:
        if kind == "html":
            return self._compiled_template("digest")
        return self._env.get_template("digest.txt.j2")

    def _mjml_source(self, name: str) -> str:
        """The MJML of template `name` with its layout resolved and per-email Jinja intact."""
        return self._layout.get_template(f"{name}.mjml.j2").render()

    def _mjml_template(self, name: str) -> jinja2.Template:
        # The baseline still compiles its Jinja once: only the MJML compile is per email.
        key = f"mjml:{name}"
        if key not in self._compiled:
            self._compiled[key] = self._env.from_string(self._mjml_source(name))
        return self._compiled[key]

    def _compiled_template(self, name: str) -> jinja2.Template:
        template = self._compiled.get(name)
        if template is None:
            with self._lock:
                template = self._compiled.get(name)
                if template is None:
                    self.compile_count += 1
                    html = _compile(self._mjml_source(name))
                    template = self._compiled[name] = self._env.from_string(html)
        return template


@functools.lru_cache(maxsize=32768)
def wrap(text: str, width: int = 70, indent: int = 0) -> str:
    """`text` wrapped for the text part, lines after the first indented; cached because the
    same papers reach many subscribers on a day."""
    pad = " " * indent
    return textwrap.fill(
        text, width, subsequent_indent=pad, break_long_words=False, break_on_hyphens=False
    )


def _render(template: jinja2.Template, values: dict[str, Any]) -> str:
    """`template.render(values)`, without copying the environment's globals (which the email
    templates do not use) into a new context for every render."""
    context = template.new_context(values, shared=True)
    try:
        return "".join(template.root_render_func(context))
    except Exception:
        template.environment.handle_exception()


def ascii_html(html: str) -> str:
    """`html` with each non-ASCII character as a numeric character reference (`&#9650;`):
    the same document, in a string of one byte per character (kept blocks take half the
    memory, and encoding the email is a copy)."""
    return html if html.isascii() else html.encode("ascii", "xmlcharrefreplace").decode("ascii")


def _compile(source: str) -> str:
    # fonts={}: no web-font <link> (a request to a third party each time an email is opened)
    return str(mjml.mjml2html(source, fonts={}))


def _list_headers(unsubscribe_url: str) -> dict[str, str]:
    # RFC 2369 + RFC 8058: mail clients show an unsubscribe button that POSTs to this URL.
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
