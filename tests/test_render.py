"""The emails: structure of the HTML (parsed), escaping, subject, headers, text part."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jinja2
import pytest
from itsdangerous import TimestampSigner
from markupsafe import escape
from playwright import sync_api

from digest.ranking import Match, ScoredPaper, Span
from digest.render.context import highlight, keywords_label, sentence_cut, short_authors
from digest.render.renderer import (
    TEMPLATES,
    DigestContext,
    DigestItem,
    Renderer,
    build_digest_context,
)
from digest.store.tables import Paper
from digest.tokens import Links, read_token
from tests.conftest import missing

SECRET = "test-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def _signing_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Links are signed with the current second: a test that signs its expected links
    after the email's would fail when a second ticks in between, so the clock stands still."""
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_772_600_000)


LINKS = Links("https://digest.example.org", SECRET)
PID = "adaPublicId00007"  # a subscriber's public id
DAY = date(2026, 3, 4)
VOID = {"meta", "br", "img", "hr", "link", "input", "col", "area", "base", "source", "wbr"}


# --------------------------------------------------------------------------- a small DOM


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(self.text_parts)

    def walk(self) -> list[Node]:
        out = [self]
        for child in self.children:
            out += child.walk()
        return out

    def find(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.walk()[1:]
            if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
        ]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return
        raise AssertionError(f"stray </{tag}>")

    def handle_data(self, data: str) -> None:
        for node in self.stack:
            node.text_parts.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert [n.tag for n in builder.stack] == ["#root"], "unclosed elements"
    return builder.root


# --------------------------------------------------------------------------- data


def paper(n: int, **kw: Any) -> Paper:
    values: dict[str, Any] = {
        "id": f"2603.{n:05d}",
        "title": f"Diffusion models for OOD detection, part {n}",
        "abstract": (
            "We study out-of-distribution detection with diffusion models. "
            "Our method reconstructs inputs and scores them by error. "
            "Experiments on CIFAR-10 and ImageNet show gains over prior work. "
            "Code is available."
        ),
        "authors": ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
        "upvotes": 10 + n,
        "num_comments": n % 2,
        "github_url": "https://github.com/example/repo" if n % 2 else None,
        "listing_day": DAY,
    }
    values.update(kw)
    return Paper(**values)


def scored(p: Paper, keywords: tuple[str, ...] = ("diffusion", "OOD")) -> ScoredPaper:
    matches = []
    for kw in keywords:
        where, spans = [], []
        for fld in ("title", "abstract"):
            text = getattr(p, fld).lower()
            start = text.find(kw.lower())
            if start >= 0:
                where.append(fld)
                spans.append(Span(fld, start, start + len(kw)))
        if where:
            matches.append(Match(kw, tuple(where), (kw,), tuple(spans)))
    return ScoredPaper(p.id, 2.0, 1.5, 0.5, tuple(matches))


def context(listed: list[Paper], **kw: object) -> DigestContext:
    values: dict[str, object] = {
        "email": "ada@example.org",
        "keywords": "OOD, diffusion",
        "papers": [(p, scored(p)) for p in listed],
        "total_new": 12,
        "digest_date": DAY,
        "links": LINKS,
        "public_id": PID,
        "view_link": True,
    }
    values.update(kw)
    return build_digest_context(**values)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


# --------------------------------------------------------------------------- the digest


def test_one_block_per_paper_with_title_links_and_paper_links(renderer: Renderer) -> None:
    papers = [paper(i) for i in range(1, 6)]
    dom = parse(renderer.digest(context(papers)).html)
    blocks = dom.find("div", "paper")
    assert len(blocks) == 5
    for block, p in zip(blocks, papers, strict=True):
        (title,) = block.find("a", "paper-link")
        assert title.attrs["href"] == f"https://huggingface.co/papers/{p.id}"
        assert title.text() == p.title
        assert block.find("a", "arxiv")[0].attrs["href"] == f"https://arxiv.org/abs/{p.id}"
        assert block.find("a", "pdf")[0].attrs["href"] == f"https://arxiv.org/pdf/{p.id}"
        code = block.find("a", "code")
        assert [c.attrs["href"] for c in code] == ([p.github_url] if p.github_url else [])
        assert (
            block.find("span", "authors")[0].text()
            == "Ada Lovelace, Alan Turing, Grace Hopper et al."
        )
        assert block.find("span", "upvotes")[0].text() == f"▲ {p.upvotes}"


def test_nothing_loaded_from_elsewhere(renderer: Renderer) -> None:
    dom = parse(renderer.digest(context([paper(1)])).html)
    assert not dom.find("link") and not dom.find("img") and not dom.find("script")
    assert "@import" not in "".join(s.text() for s in dom.find("style"))


def test_chips_and_highlights(renderer: Renderer) -> None:
    dom = parse(renderer.digest(context([paper(1)])).html)
    (block,) = dom.find("div", "paper")
    assert [c.text() for c in block.find("span", "chip")] == ["diffusion", "OOD"]
    (title,) = block.find("a", "paper-link")
    assert [m.text() for m in title.find("mark")] == ["Diffusion", "OOD"]
    (abstract,) = block.find("td", "abstract")
    assert [m.text() for m in abstract.find("mark")] == ["diffusion"]


def test_feedback_links_carry_one_signed_token_and_the_paper_and_vote(renderer: Renderer) -> None:
    p, q = paper(3), paper(4, id="hep-th/9901001")  # old arXiv ids hold a slash
    email = renderer.digest(context([p, q]))
    dom = parse(email.html)
    more = [urlsplit(a.attrs["href"]) for a in dom.find("a", "more")]
    less = [urlsplit(a.attrs["href"]) for a in dom.find("a", "less")]
    tokens = {u.path.rsplit("/", 1)[1] for u in more + less}
    assert len(tokens) == 1  # one token per email, for the subscriber only
    assert read_token(SECRET, "feedback", tokens.pop()) == {"s": PID, "v": 0}
    assert [parse_qs(u.query) for u in more] == [
        {"paper": [p.id], "vote": ["more"]},
        {"paper": [q.id], "vote": ["more"]},
    ]
    assert parse_qs(less[1].query) == {"paper": [q.id], "vote": ["less"]}
    assert f"Not for me:     {LINKS.base_url}/feedback/" in email.text
    assert "?paper=hep-th%2F9901001&vote=less" in email.text


def test_hostile_paper_text_is_escaped_everywhere(renderer: Renderer) -> None:
    evil = paper(
        1,
        title='<script>alert("x")</script> Diffusion & "OOD"',
        abstract="A <b>bold</b> claim about diffusion & <img src=x onerror=alert(1)>. " * 3,
        authors=['Eve "<i>"'],
    )
    email = renderer.digest(context([evil]))
    assert "<script>" not in email.html
    assert "<b>bold" not in email.html
    assert "<img src=x" not in email.html
    assert "&lt;script&gt;" in email.html
    dom = parse(email.html)
    assert not dom.find("script")
    assert not dom.find("i")
    (title,) = dom.find("a", "paper-link")
    assert title.text() == evil.title
    assert [m.text() for m in title.find("mark")] == ["Diffusion", "OOD"]
    assert dom.find("span", "authors")[0].text() == 'Eve "<i>"'
    # the text part is not HTML: nothing escaped there
    assert '<script>alert("x")</script>' in email.text


def test_highlight_cut_by_trimming_stays_whole() -> None:
    text = "First sentence here. " * 30 + "diffusion"
    cut = sentence_cut(text)
    assert cut < len(text)
    marked = highlight(text[:cut], [(cut - 5, cut + 20)])
    dom = parse(str(marked))
    assert [m.text() for m in dom.find("mark")] == [text[cut - 5 : cut]]


def item_for(abstract: str, spans: list[tuple[int, int]]) -> DigestItem:
    p = paper(1, abstract=abstract)
    highlights = tuple(Span("abstract", s, e) for s, e in spans)
    sp = ScoredPaper(p.id, 1.0, 1.0, 0.0, (Match("x", ("abstract",), (), highlights),))
    (item,) = context([p], papers=[(p, sp)]).items
    return item


def test_highlight_crossing_the_cut_is_closed_in_the_email() -> None:
    text = "Diffusion is studied here at length. " * 20
    cut = sentence_cut(text)
    item = item_for(text, [(cut - 8, cut + 12)])
    marks = parse(str(item.abstract_html)).find("mark")
    assert [m.text() for m in marks] == [text[cut - 8 : cut]]
    assert item.trimmed and len(item.abstract) <= 400


def test_a_match_beyond_the_cut_is_shown_in_its_sentence() -> None:
    text = (
        "Some background sentence goes here. " * 20
        + "We then use diffusion models. "
        + ("Closing remark. " * 5)
    )
    pos = text.index("diffusion")
    item = item_for(text, [(pos, pos + len("diffusion"))])
    assert item.abstract.startswith("Some background")
    assert " … We then use diffusion models." in item.abstract
    assert len(item.abstract) <= 450
    assert [m.text() for m in parse(str(item.abstract_html)).find("mark")] == ["diffusion"]


def test_abstract_trimmed_at_a_sentence_end() -> None:
    sentence = "Diffusion models are studied here in depth, e.g. for detection. "
    text = sentence * 12
    cut = sentence_cut(text)
    assert 160 <= cut <= 380
    assert text[:cut].endswith("detection.")
    assert sentence_cut("Short abstract.") == len("Short abstract.")


def test_unbroken_abstract_is_cut_at_a_word_with_an_ellipsis(renderer: Renderer) -> None:
    p = paper(1, abstract="word " * 200)
    (item,) = context([p]).items
    assert item.trimmed
    assert item.abstract.endswith("word …")
    assert len(item.abstract) < 400


def test_header_subject_and_headers(renderer: Renderer) -> None:
    ctx = context([paper(i) for i in range(5)])
    email = renderer.digest(ctx)
    assert email.subject == "5 new papers on OOD, diffusion — Mar 4"
    assert ctx.header == "12 new papers today; 5 match your keywords OOD, diffusion"
    assert ctx.header in parse(email.html).text()
    unsub = LINKS.unsubscribe(PID)
    assert email.headers == {
        "List-Unsubscribe": f"<{unsub}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_subject_singular_and_trimmed_keywords(renderer: Renderer) -> None:
    one = context([paper(1)], keywords="diffusion", total_new=1)
    assert renderer.digest(one).subject == "1 new paper on diffusion — Mar 4"
    assert one.header == "1 new paper today; 1 matches your keyword diffusion"
    many = ("diffusion", "OOD", "graph neural networks", "reinforcement learning", "LLM")
    p = paper(1, title="diffusion OOD graph neural networks reinforcement learning LLM")
    ctx = context([p], keywords=", ".join(many), papers=[(p, scored(p, many))])
    assert ctx.subject == "1 new paper on diffusion, OOD, graph neural networks +2 more — Mar 4"
    assert keywords_label(["a" * 60]) == "a" * 39 + "…"


def test_manage_unsubscribe_and_view_links(renderer: Renderer) -> None:
    dom = parse(renderer.digest(context([paper(1)])).html)
    assert dom.find("a", "manage")[0].attrs["href"] == LINKS.manage(PID)
    assert dom.find("a", "unsubscribe")[0].attrs["href"] == LINKS.unsubscribe(PID)
    views = [a for a in dom.find("a") if a.text() == "View in browser"]
    assert [a.attrs["href"] for a in views] == [LINKS.view(PID, DAY)]
    footer = dom.text()
    assert "ada@example.org is subscribed to new papers matching OOD, diffusion" in footer
    no_view = parse(renderer.digest(context([paper(1)], view_link=False)).html)
    assert not [a for a in no_view.find("a") if a.text() == "View in browser"]


def test_text_part_reads_on_its_own(renderer: Renderer) -> None:
    papers = [paper(1), paper(2)]
    text = renderer.digest(context(papers)).text
    assert "12 new papers today; 2 match your keywords OOD, diffusion." in text
    for p in papers:
        assert f"{p.title}" in text.replace("\n   ", " ")
        assert f"https://huggingface.co/papers/{p.id}" in text
        assert f"https://arxiv.org/abs/{p.id}" in text
        assert f"https://arxiv.org/pdf/{p.id}" in text
    assert "Code:   https://github.com/example/repo" in text
    assert "Ada Lovelace, Alan Turing, Grace Hopper et al." in text
    assert "Matches diffusion (title and abstract), OOD (title)" in text
    assert f"Manage preferences: {LINKS.manage(PID)}" in text
    assert f"Unsubscribe: {LINKS.unsubscribe(PID)}" in text
    assert "<" not in text.replace("<https", "")
    assert max(len(line) for line in text.splitlines() if "://" not in line) <= 76


def test_compiled_once_and_equal_to_compiling_every_email() -> None:
    fast, slow = Renderer(), Renderer(compile_once=False)
    hostile = paper(99, title='<b>"Diffusion"</b> & {{ 7*7 }}', authors=["{% x %}"])
    for n in (1, 3, 10):
        ctx = context([hostile] + [paper(i) for i in range(n - 1)])
        assert fast.digest(ctx).html == slow.digest(ctx).html
    assert fast.compile_count == 1
    assert slow.compile_count == 3
    assert "{{ 7*7 }}" in fast.digest(context([hostile])).text  # paper text is never a template


def test_kept_paper_blocks_give_the_same_bytes_as_rendering_every_email() -> None:
    fast, slow = Renderer(), Renderer(compile_once=False)
    odd = Links('https://digest.example.org/a&b"c', SECRET)  # a base URL HTML must escape
    papers = [
        paper(1, project_url="https://example.org/p?a=1&b=2"),
        paper(2, authors=[], num_comments=0, title="No <i>match</i> here"),
        paper(3, title="Diffusion " * 30, abstract="Diffusion. " * 80),
        paper(4, id="hep-th/9901001"),
    ]
    unmatched = ScoredPaper(papers[1].id, 1.0, 1.0, 0.0)
    cases = [
        context(papers),
        context(list(reversed(papers))),  # the same blocks at other places
        context(papers[:2], public_id="otherPublicId08", links=odd, view_link=False),
        context([papers[0]], papers=[(papers[1], unmatched), (papers[0], scored(papers[0]))]),
        context([papers[2]], keywords="diffusion"),
    ]
    for ctx in cases * 2:  # the second round takes every block from those kept
        ours, reference = fast.digest(ctx), slow.digest(ctx)
        assert ours.html == reference.html
        assert ours.text == reference.text
        assert ours.html.count(escape(ctx.feedback_url)) == 2 * len(ctx.items)
        assert ours.html.isascii() and "&#9650;" in ours.html  # ▲, as a character reference


def test_each_paper_shows_its_source(renderer: Renderer) -> None:
    """Hugging Face papers show upvotes; arXiv-only ones their categories; all link to arXiv."""
    hf = paper(1, num_comments=1)
    both = paper(2, source="hf,arxiv", categories=["cs.CL", "cs.LG"], num_comments=0)
    only = paper(3, source="arxiv", categories=["cs.CV"], upvotes=0, num_comments=0)
    bare = paper(4, source="arxiv", categories=[], upvotes=0, num_comments=0, authors=[])
    email = renderer.digest(context([hf, both, only, bare]))
    blocks = parse(email.html).find("div", "paper")
    shown = [
        (
            [s.text() for s in b.find("span", "upvotes")],
            [s.text() for s in b.find("span", "categories")],
            b.find("a", "paper-link")[0].attrs["href"],
        )
        for b in blocks
    ]
    assert shown == [
        ([f"▲ {hf.upvotes}"], [], f"https://huggingface.co/papers/{hf.id}"),
        ([f"▲ {both.upvotes}"], ["cs.CL, cs.LG"], f"https://huggingface.co/papers/{both.id}"),
        ([], ["cs.CV"], f"https://arxiv.org/abs/{only.id}"),
        ([], [], f"https://arxiv.org/abs/{bare.id}"),
    ]
    for block, p in zip(blocks, [hf, both, only, bare], strict=True):
        assert block.find("a", "arxiv")[0].attrs["href"] == f"https://arxiv.org/abs/{p.id}"
        assert block.find("a", "pdf")[0].attrs["href"] == f"https://arxiv.org/pdf/{p.id}"
    meta = [  # the line under the title: the innermost cell holding the authors
        [t for t in b.find("td") if t.find("span", "authors")][-1].text().strip()
        for b in blocks[:3]
    ]
    assert meta == [
        f"Ada Lovelace, Alan Turing, Grace Hopper et al. · ▲ {hf.upvotes} · 1 comment",
        f"Ada Lovelace, Alan Turing, Grace Hopper et al. · ▲ {both.upvotes} · cs.CL, cs.LG",
        "Ada Lovelace, Alan Turing, Grace Hopper et al. · cs.CV",
    ]
    text = email.text
    assert f"{hf.upvotes} upvotes · 1 comment\n   Matches" in text
    assert f"{both.upvotes} upvotes · cs.CL, cs.LG\n   Matches" in text
    assert "et al.\n   cs.CV\n   Matches" in text  # no upvotes for an arXiv-only paper
    assert f"https://huggingface.co/papers/{only.id}" not in text
    assert f"Paper:  https://huggingface.co/papers/{both.id}" in text
    slow = Renderer(compile_once=False).digest(context([hf, both, only, bare]))
    assert (slow.html, slow.text) == (email.html, email.text)


# --------------------------------------------------------------------------- other emails


def test_empty_note(renderer: Renderer) -> None:
    ctx = context([], total_new=12)
    email = renderer.empty(ctx)
    assert email.subject == "Nothing new on OOD, diffusion — Mar 4"
    dom = parse(email.html)
    assert not dom.find("div", "paper")
    assert "12 new papers came out since your last digest" in dom.text()
    assert dom.find("a", "unsubscribe")[0].attrs["href"] == LINKS.unsubscribe(PID)
    assert email.headers["List-Unsubscribe"] == f"<{LINKS.unsubscribe(PID)}>"
    assert "none of them\nmatched: OOD, diffusion." in email.text


def test_confirm_email(renderer: Renderer) -> None:
    url = LINKS.confirm(PID, "ada@example.org")
    email = renderer.confirm(
        email="ada@example.org", confirm_url=url, keywords='OOD, "world model"'
    )
    dom = parse(email.html)
    assert url in [a.attrs["href"] for a in dom.find("a")]
    assert "OOD, world model" in dom.text()
    assert url in email.text
    assert email.headers == {}
    assert "Confirm" in email.subject


def test_manage_link_email(renderer: Renderer) -> None:
    url = LINKS.manage(PID)
    email = renderer.manage_link(email="ada@example.org", manage_url=url)
    assert url in [a.attrs["href"] for a in parse(email.html).find("a")]
    assert url in email.text


def test_short_authors() -> None:
    assert short_authors([]) == ""
    assert short_authors(["A", "B", "C"]) == "A, B, C"
    assert short_authors(["A", "B", "C", "D"]) == "A, B, C et al."


@pytest.mark.parametrize("compile_once", [True, False])
def test_strict_undefined_catches_a_missing_variable(tmp_path: Path, compile_once: bool) -> None:
    templates = tmp_path / "email"
    shutil.copytree(TEMPLATES, templates)
    source = templates / "digest.mjml.j2"
    source.write_text(source.read_text().replace("{{ header }}", "{{ headline }}"))
    with pytest.raises(jinja2.UndefinedError, match="headline"):
        Renderer(templates, compile_once=compile_once).digest(context([paper(1)]))


def test_missing_templates_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Renderer(tmp_path / "nope")


# --------------------------------------------------------------------------- in a browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
def test_reads_at_600_and_375_pixels_without_sideways_scrolling(
    renderer: Renderer, tmp_path: Path
) -> None:
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} not installed")
    long_word = paper(2, abstract="See https://example.org/" + "x" * 150 + " for diffusion. " * 3)
    html = renderer.digest(context([paper(1), long_word, paper(3)])).html
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width in (600, 375):
                page = browser.new_page(viewport={"width": width, "height": 800})
                page.route("**/*", lambda route: route.abort())  # nothing leaves the machine
                page.set_content(html)
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                cards = page.locator("div.paper")
                assert cards.count() == 3
                for i in range(3):
                    box = cards.nth(i).bounding_box()
                    assert box is not None
                    assert box["x"] >= 0 and box["x"] + box["width"] <= width
                assert page.locator("a.unsubscribe").is_visible()
                # kept out of the repository, for a person to look at
                page.screenshot(path=str(tmp_path / f"digest-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()


def test_subject_and_header_show_interests_as_written_without_weights_or_exclusions(
    renderer: Renderer,
) -> None:
    ctx = context([paper(i) for i in range(2)], keywords='OOD^2, "diffusion", -survey')
    email = renderer.digest(ctx)
    assert email.subject == "2 new papers on OOD, diffusion — Mar 4"
    assert ctx.header == "12 new papers today; 2 match your keywords OOD, diffusion"
    assert "^" not in email.subject and "survey" not in email.subject


def test_the_largest_digest_stays_under_what_gmail_shows_unclipped(renderer: Renderer) -> None:
    """MAX_PAPERS_PER_EMAIL papers with the corpus's longest titles and abstracts, each matched
    by several interests, stay under Gmail's ~102 KB clipping point."""
    from digest.config import MAX_PAPERS_PER_EMAIL

    long_abstract = " ".join(
        ["Large language models are trained on diverse data and evaluated on reasoning."] * 40
    )
    big = [
        paper(i, title="A very long title about " + "diffusion and OOD detection " * 6,
              abstract=long_abstract)
        for i in range(MAX_PAPERS_PER_EMAIL)
    ]  # fmt: skip
    html = renderer.digest(context(big)).html
    assert len(html.encode("utf-8")) < 100_000, len(html)
