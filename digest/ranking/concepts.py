"""Concepts (pure): one interest with its variants, scored per paper with BM25F.

A concept's *phrase* alternatives are key sequences: the interest as written, each acronym
in it replaced by its expansions, each expansion in it (or inside those) replaced by its
acronym ("multimodal LLM" for MLLM), a phrase of three or more words without a common word at
one end while the rest stays a rare phrase ("preference optimization" for DPO; see
COMMON_WORD) or, for four or more, without two common words at its end ("parameter-efficient"
for PEFT), a two- or three-word interest written joined ("pre-training" ->
"pretraining"), each hyphenated run inside it written closed ("multitask learning" for
"multi-task learning") and, unquoted, the interest with a topic in it (the whole or a phrase
inside) replaced by one of its other names (digest.ranking.names: "unlearning" for "machine
unlearning"; never shortened), or with a phrase inside it that papers also write as an
acronym of a kind of it replaced by that acronym ("LLM evaluation" for "language model
evaluation"; digest.ranking.acronyms.WRITTEN_FOR). Occurrences of any alternative count as
occurrences of the phrase (one document frequency for the union).

An unquoted interest of several *units* (a content word, a known expansion such as
"large language model", each with its acronym forms, or a directed run such as
"text-to-image", found whole) also matches where every one of its
units occurs close together (WINDOW) in one sentence (the title, or one sentence of the
abstract): "code LLMs" finds
"code generation with large language models", never a paper that only says "our code is
available" or only "LLMs". Such a match scores its units' BM25F sum; the phrase itself earns
a bonus on top. Some of the units is never a match, so a common word alone qualifies nothing.
A word found apart does not count inside another common compound (COMPOUND_SHARE), nor as an
"-ly" adverb that modifies another word ("sensitively depends on ... prompts" is not `prompt
sensitivity`; "pre-trained efficiently" is `efficient training`).

`A + B` is one interest that needs both: a paper matches when each part matches it (each part
is a concept as above), and scores the mean of the parts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress, pairwise, repeat
from typing import NamedTuple

import numpy as np
from scipy import sparse

from digest.ranking import metadata, names
from digest.ranking.acronyms import WRITTEN_FOR, same_meaning
from digest.ranking.interests import plus_parts
from digest.ranking.matching import (
    NO_HITS,
    STOP,
    TOKEN,
    Hits,
    TextIndex,
    hyphen_runs,
    norm,
    surface_keys,
)
from digest.ranking.spans import FIELDS
from digest.ranking.types import Span

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 2.5  # a title occurrence counts as this many abstract ones
PHRASE_BONUS = 1.0  # extra weight of the phrase over its units found apart
MAX_ALTERNATIVES = 24
PRIOR_DOCS = 20
METADATA_SCORE = 3.0  # an author or category interest: about a title match of a rare term
# A concept is central to a paper, not mentioned in passing, when it is in the title (which
# counts TITLE_WEIGHT) or in this many sentences of the abstract; chosen on the tuning half of
# benchmarks/data/labels.json (benchmarks/rank_quality.py --sweep).
MIN_MENTIONS = 2.0
# ... or in one sentence of the abstract when the title holds one of its rarer words (found
# in at most this share of the papers) or its rarest word, however common: "machine
# unlearning" in the abstract of "Unlearning for LLMs", "code LLMs" in that of "Code
# Generation for Low-Resource Languages" ("code" is in a quarter of the papers, but LLMs in
# more), not in that of any paper titled with "LLM"; for an acronym, the words of its long
# forms: KD in the abstract of "... Language Model Distillation". The rarest word: 0.931 /
# 0.752 -> 0.931 / 0.768 on the tuning half, 0.946 / 0.778 unchanged held out.
# The highest recall with precision >= 0.92 on the tuning half (0.05, 0.1, 0.15, 0.2 and 0.3
# tried: 0.3 falls to 0.914). With WINDOW, 0.3 and 0.4 keep 0.924 and 0.921 there (recall
# 0.769, 0.775 against 0.752) and change nothing held out (0.943 / 0.780, 0.940 / 0.783
# against 0.946 / 0.778): what they add is mostly common title words taken for rare ones
# ("Human" for RLHF, "LLMs" for MLLM), so it stays at 0.2.
RARE_TITLE_WORD = 0.2
# A phrase of three or more words also matches without its first (else its last) word when
# that word is a common one (found in at least COMMON_WORD of the papers, and no rarer than
# the words kept) and the rest is still a rare phrase (in at most RARE_PHRASE of them):
# "preference optimization" for DPO, "machine translation" for NMT, "synthetic data" for
# "synthetic data generation"; never "error correction" for "quantum error correction". A
# phrase of four or more also matches without its last two words when both are common:
# "parameter-efficient" for PEFT (held out: PEFT, LoRA 0.615 -> 0.692 recall, one unwanted
# paper), never "fine-tuning" alone.
# Both chosen on the tuning half of benchmarks/data/labels.json (0.05 and 0.1 tried).
COMMON_WORD = 0.1
RARE_PHRASE = 0.1
# The units of an interest found in one sentence match only within this many tokens of
# each other (of an occurrence of the first): "selecting the data" is `data selection`,
# "world modeling as autoregressive prediction ... as verifiable rewards" (16 words apart)
# is not `reward models`. The largest window with the best precision at unchanged recall on
# the tuning half (4 to 20 tried: 8, 10 and 12 give 0.931 / 0.752, against 0.921 / 0.752
# without one, 4 gives 0.938 / 0.743); None: anywhere in the sentence.
WINDOW: int | None = 12
# ... and within this many in a title, where every word is close to every other: "Data
# Mixtures Enable Narrow Model Selection" is not `data selection`, "Models Can Learn from
# Verbal Feedback Without Scalar Rewards" not `reward models`. On the tuning half 2, 3 and 4
# give 0.939 / 0.777 against 0.932 / 0.777 with 12 (5 and 6: 0.936); held out 0.948 / 0.784
# against 0.945 / 0.784; the largest of the best is kept.
TITLE_WINDOW = 4
# A unit found apart, other than the interest's last (its head), does not count where the
# word after it, not one of the interest's, makes with it a compound found in at least this
# share of the papers: there it modifies another head. "Adapting Language Models" is not
# `language adaptation` ("language model" is in 72% of the corpus's papers; no other pair of
# content words reaches 50%); "adapting LLMs to new languages" still is. Chosen on the tune
# half with `tune2` (0.02 to 0.7 tried): 0.911 / 0.723 without the rule, 0.936 / 0.723 at
# 0.4 and 0.5, 0.936 / 0.714 at 0.3, 0.928 / 0.723 at 0.7; held out unchanged at each
# (0.926 / 0.511): no held-out paper is sent or dropped by it. Tried again with `tune3`
# (0.02 to 0.7): 0.5 is still the best (0.928 / 0.695; 0.02 gives 0.929 / 0.648). The same
# compounds are never cut apart when a long interest is shortened (`_shortened`): "model
# fusion" is not `language model fusion`.
COMPOUND_SHARE = 0.5
# Concepts of several units are matched a few at a time on concept x paper arrays (and a
# table of flags per unit x sentence) of about this many cells.
ROWS_AT_ONCE = 4_000_000
# Membership of keys below this is looked up in a table of flags (bytes) rather than searched.
FLAG_TABLE = 16_000_000

Why = tuple[tuple[str, ...], tuple[str, ...], tuple[Span, ...]]  # where, terms, spans
Keys = tuple[str, ...]
Unit = tuple[Keys, ...]  # alternatives of one unit


class Made(NamedTuple):
    """An interest's alternatives before quoting is known (see ConceptBook._alternatives)."""

    base: list[Keys]  # as written, acronyms and expansions swapped
    renamed: list[Keys]  # other names (digest.ranking.names), unquoted only
    # the other base alternatives with an expansion in them abbreviated ("OOD detection" is
    # "out-of-distribution detection", which is OoDD)
    within: list[Keys]
    renamed_within: list[Keys]  # the same of the renamed ones
    joined: list[Keys]  # the words written joined
    units: tuple[Unit, ...]
    # the written word (between spaces) of each key as written: "test-time" is one word
    written: tuple[int, ...]
    runs: frozenset[Keys]  # its directed runs ("text-to-image"; _DIRECTED), never cut


# digest.ranking.acronyms.WRITTEN_FOR as keys: phrase -> the acronyms papers write for it
_WRITTEN_FOR: dict[Keys, tuple[Keys, ...]] = {
    surface_keys(phrase): tuple(surface_keys(s) for s in shorts)
    for phrase, shorts in WRITTEN_FOR.items()
}


def _written_for(keys: Keys) -> list[Keys]:
    """`keys` with a phrase of WRITTEN_FOR inside them (never the whole) replaced by each
    acronym papers write for it, one place at a time."""
    out: list[Keys] = []
    for phrase, shorts in _WRITTEN_FOR.items():
        n = len(phrase)
        for i in range(len(keys) - n + 1) if n < len(keys) else ():
            if keys[i : i + n] == phrase:
                out += [(*keys[:i], *short, *keys[i + n :]) for short in shorts]
    return out


def _closed(text: str, keys: Keys) -> Keys:
    """`keys` (one per word of `text`) with each hyphenated run written closed, as one word:
    "multi-task learning" is also "multitask learning", as a paper's "multi-task" is also
    indexed "multitask" (digest.ranking.matching.hyphen_runs)."""
    out = list(keys)
    for first, n, key in reversed(hyphen_runs(text)):
        out[first : first + n] = [key]
    return tuple(out)


# "X-to-Y" in an interest names a direction, so it is one unit, never its words apart:
# `image-to-text` is not "Personalized Text-to-Image Generation" nor "text guides the image",
# `text-to-speech` not a "Speech-to-Text Adapter" that "maps speech into text". The run is
# still found written with spaces ("text to speech"), closed, or by its acronym (TTS).
_DIRECTED = re.compile(r"[^\W_]+-to-[^\W_]+", re.IGNORECASE)


def _holds(keys: Keys, unit: Unit) -> bool:
    """Whether `keys` hold a content word of one of the unit's forms."""
    return any(k in keys for form in unit for k in form if k not in STOP)


def _none(dtype: type = np.int64) -> np.ndarray:
    return np.zeros(0, dtype=dtype)


def _frozen(empty: np.ndarray) -> np.ndarray:
    """`empty`, made read-only: its views are shared by every new concept."""
    empty.flags.writeable = False
    return empty


# what a concept holds until it is scored: read-only views of these (no array made per concept)
_EMPTY = _frozen(_none())
_EMPTY_F = _frozen(_none(np.float64))


@dataclass
class Concept:
    """One interest's concept and where it matches. Occurrences are Hits (token slots of
    the index's TextIndex), grouped by paper in ascending order."""

    id: int
    alternatives: tuple[Keys, ...]
    units: tuple[Unit, ...]  # scored apart (unquoted interests of two or more units)
    papers: np.ndarray = field(default_factory=_EMPTY.view)  # the papers it matches, ascending
    values: np.ndarray = field(default_factory=_EMPTY_F.view)  # its score in each
    # where the phrase itself (or a variant) occurs, a match or not: what `-term` excludes
    phrase_papers: np.ndarray = field(default_factory=_EMPTY.view)
    # what it shows in a paper: the phrase where it occurs, else its units found together
    shown: Hits = NO_HITS
    shown_papers: np.ndarray = field(default_factory=_EMPTY.view)  # the paper of each of `shown`
    # its first unit's slots in the sentences where its units stand together, also in papers
    # that show the phrase (mentions too, though the phrase is what is shown there)
    together: np.ndarray = field(default_factory=_EMPTY.view)
    meta: tuple[str, str] | None = None  # ("author" | "cat", value): matched on metadata

    @cached_property
    def scores(self) -> dict[int, float]:
        """paper -> score, for the papers it matches."""
        return dict(zip(self.papers.tolist(), self.values.tolist(), strict=True))


class Scored(NamedTuple):
    """A unit's occurrences in the papers, their BM25F scores, and where they are."""

    papers: np.ndarray  # ascending
    values: np.ndarray  # float64, per paper
    hits: Hits
    sentences: np.ndarray  # the sentence (numbered across the index) of each occurrence
    title_papers: np.ndarray  # the papers with it in the title


class Loose(NamedTuple):
    """A concept's words found anywhere, a match or not (ConceptBook.loose)."""

    papers: np.ndarray  # ascending
    values: np.ndarray  # float64, per paper
    hits: Hits  # every occurrence of the phrase and of its units, grouped by paper


class Rows(NamedTuple):
    """Concept x paper, sparse (CSR, float32): what ranking multiplies profiles with."""

    scores: sparse.csr_matrix  # the concept's score where it matches
    phrase: sparse.csr_matrix  # 1.0 where the phrase itself (or a variant) occurs, matched
    # or not: what `-term` excludes (its words found apart, or a passing mention, still do)
    matched: np.ndarray  # concept * papers + paper of every match, ascending
    # what every concept shows (Concept.shown), concept after concept: its key (concept *
    # papers + paper, ascending), slot and token count
    shown_keys: np.ndarray
    shown_at: np.ndarray
    shown_n: np.ndarray


class ConceptBook:
    """Every concept seen so far for one index, computed once and shared by profiles."""

    def __init__(
        self,
        text: TextIndex,
        acronyms: dict[str, set[tuple[str, ...]]],
        meta: Sequence[tuple[tuple[str, ...], tuple[str, ...]]] = (),
        defined: Sequence[Sequence[tuple[str, Keys]]] = (),
    ):
        self.text = text
        self.meta = meta  # per paper: (authors, arXiv categories)
        # acronym key -> keys of a long form -> the papers that define it so (a common
        # acronym is defined by hundreds of papers in a few ways)
        self.defined: dict[str, dict[Keys, list[int]]] = {}
        for paper, pairs in enumerate(defined):
            for short, long in pairs:
                self.defined.setdefault(short, {}).setdefault(long, []).append(paper)
        self.expansions = acronyms
        self.shorts: dict[tuple[str, ...], set[str]] = {}
        for short, longs in acronyms.items():
            for long in longs:
                self.shorts.setdefault(long, set()).add(short)
        # expansions by first key, longest first: "low-rank adaptation" is that expansion,
        # not "low rank" and a word; sorted, so every process (whatever its hash seed) makes
        # the same concepts
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        for long in sorted(self.shorts, key=lambda lg: (-len(lg), lg)):
            self.by_first.setdefault(long[0], []).append(long)
        lengths = np.array(text.lengths, dtype=np.float64).reshape(-1, 2)
        avg = np.maximum(lengths.mean(axis=0), 1.0) if len(lengths) else np.ones(2)
        self.norms = 1 - B + B * lengths / avg  # per paper, per field
        self.n = len(lengths)
        self.concepts: list[Concept] = []
        self.by_key: dict[tuple[str, bool], Concept] = {}
        self.by_shape: dict[tuple[object, ...], Concept] = {}
        self._units: dict[Unit, Scored] = {}
        self._form_cache: dict[str, list[Keys]] = {}
        self._alternatives_of: dict[str, Made] = {}
        self._loose: dict[int, Loose] = {}
        # concepts made but not scored yet (see `_settle`): of one interest, and `A + B` ones
        # with their parts
        self._waiting: list[Concept] = []
        self._pending: list[tuple[Concept, list[Concept]]] = []
        # concept x paper, sparse: the rows of the concepts made so far (see `rows`)
        self._rows: Rows | None = None
        # concept * papers + paper -> whether it is a match, for the first `_flagged`
        # concepts (see `is_match`); room for more concepts, all False until flagged
        self._flags = np.zeros(0, dtype=bool)
        self._flagged = 0

    # ------------------------------------------------------------------ building

    def concept(self, text: str, phrase: bool, later: bool = False) -> Concept:
        """The concept of one interest; with `later`, a concept made now is only scored with
        the other pending ones, in one pass (by `rows`, or the next call without `later`):
        ranking makes thousands of them while parsing a block's profiles."""
        key = (text.lower(), phrase)
        found = self.by_key.get(key)
        if found is not None:
            if not later:
                self._settle()
            return found
        parts = plus_parts(text, phrase)
        if len(parts) > 1:
            return self._both(key, [self.concept(p, False, later) for p in parts], later)
        named = metadata.split(text)
        if named is not None:
            return self._metadata(key, named)
        alternatives, units = self._alternatives(text, phrase)
        shape = (alternatives, units if len(units) > 1 else ())
        concept = self.by_shape.get(shape)
        if concept is None:
            concept = Concept(len(self.concepts), *shape)
            self.concepts.append(concept)
            self.by_shape[shape] = concept
            self._waiting.append(concept)
            if not later:
                self._settle()
        self.by_key[key] = concept
        return concept

    def _metadata(self, key: tuple[str, bool], named: tuple[str, str]) -> Concept:
        """`author:...` or `cat:...`: a paper by that author or in that category, scored like
        a central match (METADATA_SCORE); as an exclusion, it removes those papers."""
        shape = ("meta", named[0], named[1].lower())
        concept = self.by_shape.get(shape)
        if concept is None:
            concept = Concept(len(self.concepts), (), (), meta=named)
            found = np.array(metadata.matching(*named, self.meta), dtype=np.int64)
            concept.papers = concept.phrase_papers = found  # the latter: what an exclusion removes
            concept.values = np.full(len(found), METADATA_SCORE)
            self.concepts.append(concept)
            self.by_shape[shape] = concept
        self.by_key[key] = concept
        return concept

    def _both(self, key: tuple[str, bool], parts: list[Concept], later: bool) -> Concept:
        """A concept matched where every part matches (`A + B`), scored by their mean; with
        `later`, made with the other pending ones (see `_settle`)."""
        shape = ("+", *sorted(c.id for c in parts))
        concept = self.by_shape.get(shape)
        if concept is None:
            concept = Concept(len(self.concepts), (), ())
            self._pending.append((concept, parts))
            self.concepts.append(concept)
            self.by_shape[shape] = concept
            if not later:
                self._settle()
        self.by_key[key] = concept
        return concept

    def _settle(self) -> None:
        """Score the waiting concepts of one interest (`_score`), then make the pending
        `A + B` concepts at once, on arrays: each matches the papers of
        every part, scores the parts' scores there added in written order and divided by
        their number, and shows in each paper what each part shows there, part after part."""
        if self._waiting:
            waiting, self._waiting = self._waiting, []
            self._score(waiting)
        pending, self._pending = self._pending, []
        if not pending:
            return
        width = max(self.n, 1)
        # each distinct part once: its papers and what it shows, keyed part * papers + paper
        # (ascending); `which`: the parts of each pending concept, in written order
        distinct = list({c.id: c for _, of in pending for c in of}.values())
        ids = {c.id: i for i, c in enumerate(distinct)}
        which = _padded([[ids[c.id] for c in of] for _, of in pending])
        count = (which >= 0).sum(axis=1)
        sizes = np.array([len(c.papers) for c in distinct], dtype=np.int64)
        part_keys = np.repeat(np.arange(len(distinct), dtype=np.int64) * width, sizes)
        part_keys += np.concatenate([_none(), *(c.papers for c in distinct)])
        values = np.concatenate([_none(np.float64), *(c.values for c in distinct)])
        # the papers of every part: those of its part with the fewest that the others hold
        fewest = _fewest(which, sizes)
        bounds = _pointers(sizes)
        whose, taken = _expand(bounds[fewest], bounds[fewest + 1])
        paper = part_keys[taken] - fewest[whose] * width
        parts = which[whose]  # (pending concept, paper) x part
        keys = np.where(parts >= 0, parts * width + paper[:, None], 0)
        place = np.searchsorted(part_keys, keys).clip(max=max(len(part_keys) - 1, 0))
        every = ((parts < 0) | (part_keys[place] == keys)).all(axis=1)
        whose, paper, place = whose[every], paper[every], place[every]
        matched = whose * width + paper
        total = values[place[:, 0]]
        for j in range(1, which.shape[1]):
            more = count[whose] > j
            total[more] = total[more] + values[place[more, j]]
        total = total / count[whose]
        # what the parts show in those papers, grouped by paper, part after part
        shown_sizes = np.array([len(c.shown_papers) for c in distinct], dtype=np.int64)
        part_shown = np.repeat(np.arange(len(distinct), dtype=np.int64) * width, shown_sizes)
        part_shown += np.concatenate([_none(), *(c.shown_papers for c in distinct)])
        found = []
        for j in range(which.shape[1]):
            more = np.flatnonzero(count[whose] > j)
            wanted = which[whose[more], j] * width + paper[more]
            lo = np.searchsorted(part_shown, wanted)
            pair, shown = _expand(lo, np.searchsorted(part_shown, wanted, side="right"))
            found.append((matched[more][pair], shown))
        shown_keys = np.concatenate([_none(), *(k for k, _ in found)])
        taken = np.concatenate([_none(), *(t for _, t in found)])
        order = np.argsort(shown_keys, kind="stable")
        shown_keys, taken = shown_keys[order], taken[order]
        at = np.concatenate([_none(), *(c.shown.at for c in distinct)])[taken]
        n = np.concatenate([_none(), *(c.shown.n for c in distinct)])[taken]
        bounds = np.arange(len(pending) + 1, dtype=np.int64) * width
        lo_hi = np.searchsorted(matched, bounds).tolist()
        shown_lo_hi = np.searchsorted(shown_keys, bounds).tolist()
        papers, shown_papers = matched % width, shown_keys % width
        for i, (concept, _) in enumerate(pending):
            lo, hi = lo_hi[i], lo_hi[i + 1]
            concept.papers, concept.values = papers[lo:hi], total[lo:hi]
            lo, hi = shown_lo_hi[i], shown_lo_hi[i + 1]
            concept.shown, concept.shown_papers = Hits(at[lo:hi], n[lo:hi]), shown_papers[lo:hi]

    def _alternatives(self, text: str, phrase: bool) -> tuple[tuple[Keys, ...], tuple[Unit, ...]]:
        """The phrase alternatives of an interest as written (see the module's docstring) and
        its units (none when quoted). What does not depend on the quotes is made once per
        text: the same words are often written both quoted and not."""
        made = self._alternatives_of.get(text)
        if made is None:
            made = self._alternatives_of[text] = self._make_alternatives(text)
        out, within = list(made.base), made.within
        if not phrase:  # quoted: that phrase only, never a shorter one nor another name
            # another name is already a short form: never shortened further ("training data
            # generation" is not "data generation")
            shorter = [
                s
                for i, alt in enumerate(made.base)
                for s in self._shortened(
                    alt, made.units, made.written if i == 0 else None, made.runs
                )
            ]
            out += made.renamed + shorter
            within = within + made.renamed_within
            within = within + [a for alt in shorter for a in self._abbreviated(alt, within=True)]
        unique = list(dict.fromkeys([*out, *within, *made.joined]))
        return tuple(unique[:MAX_ALTERNATIVES]), () if phrase else made.units

    def _make_alternatives(self, text: str) -> Made:
        """What `_alternatives` makes of `text` quoted or not: the keys as written, each
        acronym replaced by its forms and each expansion by its acronyms; those with a topic
        of digest.ranking.names in them renamed, and if written so, "language model" inside
        them as "LLM" (WRITTEN_FOR); those alternatives with an expansion inside abbreviated;
        the words written joined; the units."""
        keys = tuple(self._fold_plural(k) for k in surface_keys(text))
        base = [keys]
        for i, k in enumerate(keys):
            for form in self._forms(k):
                base.append(keys[:i] + form + keys[i + 1 :])
        base += self._abbreviated(keys, within=False)
        within = [a for alt in base[1:] for a in self._abbreviated(alt, within=False)]
        renamed = [r for alt in base for r in names.renamed(alt) if r not in base]
        if _written_for(keys):  # as written, not in an acronym's long form (see WRITTEN_FOR)
            written_for = [w for alt in (*base, *renamed) for w in _written_for(alt)]
            renamed += [w for w in dict.fromkeys(written_for) if w not in renamed]
        renamed_within = [a for alt in renamed for a in self._abbreviated(alt, within=True)]
        words = TOKEN.findall(text)
        joined: list[Keys] = [(norm("".join(words)),)] if 2 <= len(words) <= 3 else []
        closed = _closed(text, keys)
        if closed != keys and closed not in joined:
            joined.append(closed)
        written = tuple(w for w, word in enumerate(text.split()) for _ in TOKEN.findall(word))
        runs = frozenset(surface_keys(m.group(0)) for m in _DIRECTED.finditer(text))
        units = self._units_of(keys, runs)
        return Made(base, renamed, within, renamed_within, joined, units, written, runs)

    def _abbreviated(self, keys: Keys, within: bool) -> list[Keys]:
        """`keys` with each known expansion in it replaced by its acronyms: "large language
        model" is "LLM"; `within`: only expansions inside a longer phrase (MLLM's
        "multimodal large language model" is also "multimodal LLM")."""
        out = []
        for i, k in enumerate(keys):
            for long in self.by_first.get(k, ()):
                if keys[i : i + len(long)] == long and (len(long) < len(keys) or not within):
                    out += [
                        (*keys[:i], short, *keys[i + len(long) :])
                        for short in sorted(self.shorts[long])
                    ]
        return out

    def _shortened(
        self,
        keys: Keys,
        units: tuple[Unit, ...],
        written: tuple[int, ...] | None = None,
        runs: Collection[Keys] = (),
    ) -> list[Keys]:
        """`keys` without a common word at one end, when the rest is still a rare phrase
        of two or more content words (see COMMON_WORD) holding words of two or more of the
        interest's `units` when it has several ("large vision-language model" alone is one
        unit of "VLM hallucination", never a match for it): the leading modifier first, as
        English puts the head of a noun phrase last; and, for four or more content words,
        also without its last two when both are common (the head: "parameter-efficient").
        Given `written` (the written word of each key of the interest as typed), the rest
        keeps two of its words: one word of a multi-word interest never stands for it, a
        hyphenated one included ("test-time" is not `test-time scaling`). A leading word is
        never cut off the word it makes a common compound with (`_common_pairs`): "model
        fusion" is not `language model fusion`. Nor is a word cut off a directed run of `runs`
        ("image generation" is not `text-to-image generation`)."""
        content = [i for i, k in enumerate(keys) if k not in STOP]
        if len(content) < 3 or (runs and len(units) < 2):  # (one directed run: a name)
            return []
        bound = {  # the positions of the directed runs in `keys`
            i + j
            for run in runs
            for i in range(len(keys) - len(run) + 1)
            if keys[i : i + len(run)] == run
            for j in range(len(run))
        }
        df = self.text.df
        cuts: list[tuple[int, ...]] = [(content[0],), (content[-1],)]
        if len(content) >= 4:
            cuts.append((content[-2], content[-1]))
        out: list[Keys] = []
        for cut in cuts:
            if (len(cut) == 1 and out) or bound.intersection(cut):
                continue
            common = min(df(keys[c]) for c in cut)
            kept = [i for i in content if i not in cut]
            if common < COMMON_WORD * self.n or common < min(df(keys[i]) for i in kept):
                continue
            if cut[0] == content[0] and self._common_pair(keys[cut[0]], keys[cut[0] + 1]):
                continue
            rest = keys[kept[0] : kept[-1] + 1]
            if written is not None and written[kept[0]] == written[kept[-1]]:
                continue
            if len(units) > 1 and sum(_holds(rest, unit) for unit in units) < 2:
                continue
            found = self.text.slots.paper[self.text.phrase(rest).at]  # grouped by paper
            if len(found) and 1 + np.count_nonzero(found[1:] != found[:-1]) > RARE_PHRASE * self.n:
                continue
            out.append(rest)
        return out

    def _fold_plural(self, key: str) -> str:
        """Lowercase "llms" as typed: the plural of a known acronym."""
        if key.endswith("s") and key not in self.text.postings and key[:-1] in self.expansions:
            return key[:-1]
        return key

    def _forms(self, short: str) -> list[Keys]:
        """An acronym's expansions, then the other acronyms of those expansions."""
        found = self._form_cache.get(short)
        if found is None:
            longs = sorted(self.expansions.get(short, ()))
            siblings = {(s,) for lg in longs for s in self.shorts[lg] if s != short}
            found = self._form_cache[short] = longs + sorted(siblings)
        return found

    def _units_of(self, keys: Keys, runs: Collection[Keys] = ()) -> tuple[Unit, ...]:
        """Split keys into units: directed runs (`runs`, see _DIRECTED) whole, known
        expansions (with their acronyms), topics with other names (digest.ranking.names)
        inside a longer interest (with their names and those of topics inside them:
        "AI-generated text" in "AI-generated text detection" is also "machine-generated
        text"), and content words (with their other names, if any)."""
        units: list[Unit] = []
        topics = names.by_first()
        i = 0
        while i < len(keys):
            run = next((r for r in runs if keys[i : i + len(r)] == r), None)
            if run is not None:
                units.append((run,))
                i += len(run)
                continue
            long = next(
                (lg for lg in self.by_first.get(keys[i], ()) if keys[i : i + len(lg)] == lg), None
            )
            if long is not None:
                # "language model" inside a longer interest is also "LLM" (WRITTEN_FOR)
                also = _WRITTEN_FOR.get(long, ()) if len(long) < len(keys) else ()
                units.append((long, *sorted((s,) for s in self.shorts[long]), *also))
                i += len(long)
                continue
            topic = next(
                (
                    t
                    for t in topics.get(keys[i], ())
                    if 1 < len(t) < len(keys) and keys[i : i + len(t)] == t
                ),
                None,
            )
            if topic is not None:
                units.append((topic, *dict.fromkeys(names.renamed(topic))))
                i += len(topic)
                continue
            if keys[i] not in STOP:
                units.append(((keys[i],), *self._forms(keys[i]), *names.renamed(keys[i : i + 1])))
            i += 1
        if len(units) == 1 and len(keys) > 1 and units[0][0] not in runs:
            # the interest is one expansion: use its words
            units = [((k,), *self._forms(k)) for k in keys if k not in STOP]
        return tuple(dict.fromkeys(units))

    # ------------------------------------------------------------------ scoring

    def _bm25f(self, hits: Hits) -> tuple[np.ndarray, np.ndarray]:
        """(papers, BM25F score in each) of occurrences."""
        return self._bm25f_many([hits])[0]

    def _bm25f_many(self, many: Sequence[Hits]) -> list[tuple[np.ndarray, np.ndarray]]:
        """_bm25f of each of `many` (occurrences grouped by paper), in one pass."""
        slots = self.text.slots
        width = max(self.n, 1)
        at = np.concatenate([_none(), *(h.at for h in many)])
        sizes = np.array([len(h.at) for h in many], dtype=np.int64)
        owner = np.repeat(np.arange(len(many), dtype=np.int64), sizes)
        key = owner * width + slots.paper[at]  # (owner, paper): in runs, ascending
        if len(key) > 1 and (key[1:] < key[:-1]).any():
            order = np.argsort(key, kind="stable")
            key, at = key[order], at[order]
        new = np.ones(len(key), dtype=bool)
        new[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(new)
        count = np.diff(np.append(starts, len(key)))
        # (title, abstract) occurrence counts per paper; fields are 0 (title) and 1 (abstract)
        in_title = (slots.field[at] == 0).astype(np.int64)
        title = np.add.reduceat(in_title, starts) if len(starts) else count
        owners = key[starts] // width
        papers = key[starts] - owners * width
        # PRIOR_DOCS unseen papers without the term: in a small set (one day's listing)
        # a term every paper shares still tells something, and scores stay comparable
        idf = np.array(
            [
                math.log(1 + (self.n + PRIOR_DOCS - df + 0.5) / (df + 0.5))
                for df in np.bincount(owners, minlength=len(many)).tolist()
            ],
            dtype=np.float64,
        )
        norms = self.norms[papers]
        t = title / norms[:, 0] * TITLE_WEIGHT + (count - title) / norms[:, 1]
        values = idf[owners] * t * (K1 + 1) / (K1 + t)
        bounds = np.searchsorted(owners, np.arange(len(many) + 1)).tolist()
        return [(papers[lo:hi], values[lo:hi]) for lo, hi in pairwise(bounds)]

    def _hits(self, alternatives: tuple[Keys, ...]) -> Hits:
        """Occurrences of any alternative (read-only: may be the index's own arrays); an
        acronym not where a paper defines it as something else (`_as_defined`)."""
        return self._hits_many([alternatives])[0]

    def _hits_many(self, many: Sequence[tuple[Keys, ...]]) -> list[Hits]:
        """`_hits` of each of `many`; the occurrences of several alternatives are merged
        (by paper, field, position and length, each once) in one pass for all."""
        out: list[Hits] = []
        merged: list[int] = []  # the positions in `out` of those with several alternatives found
        parts: list[Hits] = []
        sizes: list[int] = []
        for alternatives in many:
            found = []
            for keys in alternatives:
                hits = self.text.phrase(keys)
                if len(keys) == 1 and keys[0] in self.defined and len(hits.at):
                    hits = self._as_defined(keys[0], hits, alternatives)
                if len(hits.at):
                    found.append(hits)
            if len(found) > 1:
                merged.append(len(out))
                parts += found
                sizes.append(sum(len(h.at) for h in found))
            out.append(found[0] if found else NO_HITS)  # as found: sorted and distinct already
        if merged:
            owner = np.repeat(np.arange(len(merged), dtype=np.int64), sizes)
            owner, (at, n) = _grouped(owner, _concat(parts, [None] * len(parts)), distinct=True)
            owner, (at, n) = _joined(owner, Hits(at, n))  # one mention, counted once
            bounds = np.searchsorted(owner, np.arange(len(merged) + 1)).tolist()
            for i, (lo, hi) in zip(merged, pairwise(bounds), strict=True):
                out[i] = Hits(at[lo:hi], n[lo:hi])
        return out

    def _as_defined(self, short: str, hits: Hits, alternatives: tuple[Keys, ...]) -> Hits:
        """The acronym's occurrences `hits`, less those in papers that define it as a long
        form the concept does not mean ("multilingual large language models (MLLMs)" for an
        MLLM of "multimodal large language model", "out-of-domain (OOD)" for OOD; see
        acronyms.same_meaning). An acronym the concept knows no long form of keeps every
        occurrence."""
        meant = [alt for alt in alternatives if len(alt) > 1]
        if not meant:
            return hits
        other = [
            paper
            for long, papers in self.defined[short].items()
            if not any(same_meaning(long, m) for m in meant)
            for paper in papers
        ]
        if not other:
            return hits
        keep = ~np.isin(self.text.slots.paper[hits.at], other)
        return Hits(hits.at[keep], hits.n[keep])

    def _score(self, concepts: Sequence[Concept]) -> None:
        """Where each concept matches and its score there (BM25F of the phrase and of its
        units found together, then only the papers it is central to: `_keep_central`)."""
        occurrences = self._hits_many([c.alternatives for c in concepts])
        phrases = self._bm25f_many(occurrences)
        candidates: list[tuple[np.ndarray, np.ndarray] | None] = []
        several = []  # the concepts of several units
        for i, (concept, found, (phrase, phrase_scores)) in enumerate(
            zip(concepts, occurrences, phrases, strict=True)
        ):
            concept.phrase_papers = phrase
            if concept.units:
                several.append(i)
                candidates.append(None)
            else:
                self._show(concept, found)
                candidates.append((phrase, phrase_scores))
        step = max(1, ROWS_AT_ONCE // max(len(self.text.slots.sentence_paper), self.n, 1))
        for lo in range(0, len(several), step):
            part = several[lo : lo + step]
            made = self._together(
                [concepts[i] for i in part],
                [occurrences[i] for i in part],
                [phrases[i] for i in part],
            )
            for i, pair in zip(part, made, strict=True):
                candidates[i] = pair
        self._keep_central(concepts, [c for c in candidates if c is not None])

    def _together(
        self,
        concepts: Sequence[Concept],
        occurrences: Sequence[Hits],
        phrases: Sequence[tuple[np.ndarray, np.ndarray]],
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """The candidates (papers, scores) of concepts of several units, and what each shows:
        a paper is one where every unit stands in one sentence, close together (`_close`;
        scored by the units' BM25F sum), or where the phrase occurs (plus PHRASE_BONUS times
        its BM25F); it shows the phrase, else those units' occurrences. The sentences are
        (concept, sentence) pairs (`_Words`), the scores concept x paper arrays
        (ROWS_AT_ONCE bounds their size)."""
        slots, width = self.text.slots, max(self.n, 1)
        rows = np.arange(len(concepts), dtype=np.int64)
        self._score_units([unit for c in concepts for unit in c.units])
        scored = [[self._unit(unit) for unit in c.units] for c in concepts]
        size = np.array([len(units) for units in scored], dtype=np.int64)
        # (2-D arrays indexed through their flat views: faster than pairs of index arrays)
        n_papers = self.n
        total = np.zeros((len(concepts), n_papers))
        for j in range(int(size.max(initial=0))):
            have = np.array([i for i, units in enumerate(scored) if len(units) > j], dtype=np.int64)
            units = [scored[i][j] for i in have.tolist()]
            # the units' scores added in written order (as dense rows would be)
            papers = np.concatenate([u.papers for u in units])
            owner = np.repeat(have * n_papers, [len(u.papers) for u in units])
            total.reshape(-1)[owner + papers] += np.concatenate([u.values for u in units])
        # the sentences holding every unit (close together), then the units' occurrences
        # there, per concept by slot and length
        held = _Words([c.units for c in concepts], self._units, len(slots.sentence_paper))
        together = held.together()
        apart = self._not_counted(held)
        if WINDOW is not None:
            together = self._close(held, together, apart)
        parts = []  # each unit's occurrences there, but those inside another compound
        for j in range(held.width):
            owner, at, n, sentence = held.occurrences(*together, j)
            keep = ~apart(owner, at, n, j)
            parts.append((owner[keep], at[keep], n[keep], sentence[keep]))
        first_owner, first_at = parts[0][0], parts[0][1]  # ascending by concept
        bounds = np.searchsorted(first_owner, np.arange(len(concepts) + 1)).tolist()
        for concept, (lo, hi) in zip(concepts, pairwise(bounds), strict=True):
            concept.together = first_at[lo:hi]
        owner = np.concatenate([_none(), *(p[0] for p in parts)])
        at = np.concatenate([_none(), *(p[1] for p in parts)])
        n = np.concatenate([_none(), *(p[2] for p in parts)])
        order = np.lexsort((n, at, owner))
        owner, at, n = owner[order], at[order], n[order]
        word_papers = slots.paper[at]
        near = np.zeros((len(concepts), n_papers), dtype=bool)
        near.reshape(-1)[owner * n_papers + word_papers] = True
        # the phrase earns a bonus on top of its units (alone where they are not together)
        scores = np.where(near, total, 0.0)
        phrase_owner = np.repeat(rows, [len(p) for p, _ in phrases])
        phrase = np.concatenate([_none(), *(p for p, _ in phrases)])
        phrase_at = phrase_owner * n_papers + phrase
        scores.reshape(-1)[phrase_at] += PHRASE_BONUS * np.concatenate(
            [_none(np.float64), *(v for _, v in phrases)]
        )
        has_phrase = np.zeros((len(concepts), n_papers), dtype=bool)
        has_phrase.reshape(-1)[phrase_at] = True
        found = np.flatnonzero(near | has_phrase)
        found_owner, found_papers = np.divmod(found, max(n_papers, 1))
        found_scores = scores.reshape(-1)[found]
        # shown: the phrase, then the units' occurrences in papers without it, by paper
        words = ~has_phrase.reshape(-1)[owner * n_papers + word_papers]
        shown_owner = np.concatenate(
            [np.repeat(rows, [len(h.at) for h in occurrences]), owner[words]]
        )
        shown_at = np.concatenate([_none(), *(h.at for h in occurrences), at[words]])
        shown_n = np.concatenate([_none(), *(h.n for h in occurrences), n[words]])
        shown_papers = slots.paper[shown_at]
        order = np.argsort(shown_owner * width + shown_papers, kind="stable")
        shown_owner, shown_at, shown_n = shown_owner[order], shown_at[order], shown_n[order]
        shown_papers = shown_papers[order]
        bounds = np.searchsorted(shown_owner, np.arange(len(concepts) + 1)).tolist()
        for concept, (lo, hi) in zip(concepts, pairwise(bounds), strict=True):
            concept.shown = Hits(shown_at[lo:hi], shown_n[lo:hi])
            concept.shown_papers = shown_papers[lo:hi]
        bounds = np.searchsorted(found_owner, np.arange(len(concepts) + 1)).tolist()
        return [(found_papers[lo:hi], found_scores[lo:hi]) for lo, hi in pairwise(bounds)]

    def _close(
        self,
        words: _Words,
        together: tuple[np.ndarray, np.ndarray],
        apart: Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray]:
        """The (concept, sentence) pairs of `together` (holding every unit of the concept)
        where an occurrence of its first unit has one of every other unit at most WINDOW
        tokens away (TITLE_WINDOW in a title): the units close together, not only somewhere
        in one long sentence ("modeling" and "rewards" 16 words apart are not `reward
        models`); ascending."""
        window = int(WINDOW or 0)
        span = len(self.text.slots.sentence) + 2 * window + 1  # concepts' keys never meet
        owner, at, n, sentence = words.occurrences(*together, 0)
        wanted = owner * span + at
        limit = np.where(self.text.slots.field[at] == 0, min(TITLE_WINDOW, window), window)
        ok = ~apart(owner, at, n, 0)
        for j in range(1, words.width):
            near = words.which[owner, j] < 0  # a concept without a j-th unit is not held back
            other, other_at, other_n, other_sentence = words.occurrences(*together, j)
            keep = ~apart(other, other_at, other_n, j)
            other, other_at, other_sentence = other[keep], other_at[keep], other_sentence[keep]
            if len(other_at):
                keys = other * span + other_at
                where = np.searchsorted(keys, wanted)
                for side in (where - 1, where):  # the closest on the left, then on the right
                    inside = (side >= 0) & (side < len(keys))
                    side = side.clip(0, len(keys) - 1)
                    near |= (
                        inside
                        & (np.abs(keys[side] - wanted) <= limit)
                        & (other_sentence[side] == sentence)
                    )
            ok &= near
        kept = np.unique(owner[ok] * words.count + sentence[ok])
        return kept // words.count, kept % words.count

    def _not_counted(
        self, words: _Words
    ) -> Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]:
        """For occurrences (concept, slot, token count) of the concepts' j-th unit: which of
        them do not count for it. A unit other than its concept's last, followed by a word not
        of the concept that makes a common compound with it (COMPOUND_SHARE); and a one-word
        "-ly" adverb keyed as the unit's word (matching.adverb) with no word of the concept
        beside it in its sentence (the one it modifies; see below)."""
        text, slots = self.text, self.text.slots
        token_key, sentence, adverbs = slots.token_key, slots.sentence, slots.adverb
        end = len(token_key) - 1
        last = (words.which >= 0).sum(axis=1) - 1
        size = len(text.key_ids) + 1
        ids = text.key_ids
        own = np.array(
            sorted(
                {
                    c * size + ids[k]
                    for c, of in enumerate(words.units)
                    for u in of
                    for alt in u
                    for k in alt
                    if k in ids
                }
            ),
            dtype=np.int64,
        )

        def beside(owner: np.ndarray, at: np.ndarray, step: int) -> np.ndarray:
            """Whether the token `step` away from `at`, in its sentence, is the concept's."""
            other = (at + step).clip(0, end)
            key = token_key[other]
            return (key >= 0) & (sentence[other] == sentence[at]) & _member(owner * size + key, own)

        # An "-ly" adverb that Snowball keys as its adjective ("linearly" as "linear",
        # "sensitively" as "sensitivity") counts for that word of an interest found apart only
        # beside another word of the interest, the one it modifies: "directly optimize" (DPO's
        # long form), "pre-trained efficiently" (`efficient LLM training`), "agnostically
        # learning" (`learning theory`); never "sensitively depends on the quality of prompts"
        # (`prompt sensitivity`) nor "linearly approximate sub-modules ... attention" (`linear
        # attention`). On the tuning half with `tune4`: 0.925 / 0.615 -> 0.931 / 0.615, three
        # papers graded 0 no longer sent, profiles below the precision target 16 -> 13; held
        # out unchanged (0.918 / 0.494). The adverb must stand next to the word, so "train
        # LLMs efficiently" is no longer `efficient training`: over 3,374 varied interests on
        # the whole corpus it drops 32 matches, read one by one, 22 rightly and 10 wrongly or
        # arguably so ("efficiently scaling LLMs" for `efficient LLM`).
        def skip(owner: np.ndarray, at: np.ndarray, n: np.ndarray, j: int) -> np.ndarray:
            out = last[owner] > j
            lone = np.zeros(len(owner), dtype=bool)
            adverb = np.flatnonzero((n == 1) & adverbs[at] & (last[owner] > 0))
            if len(adverb):
                o, a = owner[adverb], at[adverb]
                lone[adverb] = ~(beside(o, a, -1) | beside(o, a, 1))
            if not out.any():
                return lone
            first = token_key[at + n - 1]
            second = token_key[(at + n).clip(max=len(token_key) - 1)]
            out &= ~_member(owner * size + second, own)
            picked = np.flatnonzero(out)
            out[picked] = self._common_pairs(first[picked], second[picked])
            return out | lone

        return skip

    def _common_pairs(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Whether the word of key id `first[i]` directly followed by that of `second[i]` is
        a common compound: a pair found in at least COMPOUND_SHARE of the papers ("language
        model")."""
        return self.text.pair_papers(first, second) >= COMPOUND_SHARE * self.n

    def _common_pair(self, first: str, second: str) -> bool:
        """`_common_pairs` of two keys (False where either is not in the index)."""
        ids = self.text.key_ids
        if first not in ids or second not in ids:
            return False
        found = self._common_pairs(np.array([ids[first]]), np.array([ids[second]]))
        return bool(found[0])

    def _show(self, concept: Concept, hits: Hits) -> None:
        """What the concept shows in each paper: `hits`, grouped by paper (a stable sort)."""
        paper = self.text.slots.paper[hits.at]
        if len(paper) > 1 and (paper[1:] < paper[:-1]).any():
            order = np.argsort(paper, kind="stable")
            hits, paper = Hits(hits.at[order], hits.n[order]), paper[order]
        concept.shown, concept.shown_papers = hits, paper

    def _keep_central(
        self, concepts: Sequence[Concept], candidates: Sequence[tuple[np.ndarray, np.ndarray]]
    ) -> None:
        """Each concept matches the papers of its candidates (papers, scores) it is central
        to: in the title, or in MIN_MENTIONS sentences of the abstract, or in one when the
        title holds a rare word of it or its rarest one; a passing mention is not a match (it
        still excludes). On arrays for all the concepts at once, keyed concept * papers +
        paper."""
        slots, width = self.text.slots, max(self.n, 1)
        every = np.arange(len(concepts), dtype=np.int64)
        # where it is present: what it shows (the phrase, else its units together) and the
        # sentences holding its units together in papers that show the phrase
        at = np.concatenate(
            [_none(), *(c.shown.at for c in concepts), *(c.together for c in concepts)]
        )
        present = [len(c.shown.at) for c in concepts] + [len(c.together) for c in concepts]
        owner = np.repeat(np.concatenate((every, every)), present)
        paper = slots.paper[at]
        in_title = slots.field[at] == 0
        titled = np.unique(owner[in_title] * width + paper[in_title])
        # the distinct abstract sentences it is present in, counted per paper
        count = len(slots.sentence_paper)
        sentences = np.unique(owner[~in_title] * count + slots.sentence[at[~in_title]])
        whose = sentences // count
        per_paper = whose * width + slots.sentence_paper[sentences - whose * count]
        mentioned, mentions = np.unique(per_paper, return_counts=True)
        sizes = np.array([len(p) for p, _ in candidates], dtype=np.int64)
        keys = np.repeat(every * width, sizes) + np.concatenate(
            [_none(), *(p for p, _ in candidates)]
        )
        scores = np.concatenate([_none(np.float64), *(v for _, v in candidates)])
        title = _member(keys, titled, len(concepts) * width)
        where = np.searchsorted(mentioned, keys).clip(max=max(len(mentioned) - 1, 0))
        found = mentioned[where] == keys if len(mentioned) else np.zeros(len(keys), dtype=bool)
        abstract = np.where(found, mentions[where] if len(mentions) else 0, 0)
        central = TITLE_WEIGHT * title + abstract >= MIN_MENTIONS
        rescue = ~central & (abstract > 0)
        if rescue.any():  # the whole concept in the abstract, part of it in the title
            owners = np.unique(keys[rescue] // width).tolist()
            self._score_units([u for i in owners for u in self._parts(concepts[i])])
            rare = []
            for i in owners:
                scored = [self._unit(u) for u in self._parts(concepts[i])]
                # its rare words, and its rarest (most specific) one however common
                rarest = min((len(u.papers) for u in scored if len(u.papers)), default=0)
                most = max(RARE_TITLE_WORD * self.n, rarest)
                rare += [i * width + u.title_papers for u in scored if len(u.papers) <= most]
            if rare:
                central |= rescue & _member(keys, np.sort(np.concatenate(rare)))
        bounds = [*np.searchsorted(keys, every * width).tolist(), len(keys)]
        papers = keys % width
        for concept, (lo, hi) in zip(concepts, pairwise(bounds), strict=True):
            keep = central[lo:hi]
            concept.papers, concept.values = papers[lo:hi][keep], scores[lo:hi][keep]

    def _parts(self, concept: Concept) -> tuple[Unit, ...]:
        """The units of a concept; for one of a single unit (an acronym, a quoted phrase),
        each content word of its phrases of several words ("knowledge", "distillation")."""
        if concept.units:
            return concept.units
        words = dict.fromkeys(
            k for alt in concept.alternatives if len(alt) > 1 for k in alt if k not in STOP
        )
        return tuple(((k,),) for k in words)

    def _score_units(self, units: Sequence[Unit]) -> None:
        """Score the units not scored yet (see `_unit`) together: one BM25F pass for all."""
        known = self._units
        missing = [unit for unit in dict.fromkeys(units) if unit not in known]
        if not missing:
            return
        slots = self.text.slots
        hits = self._hits_many(missing)
        for unit, found, (papers, values) in zip(
            missing, hits, self._bm25f_many(hits), strict=True
        ):
            in_title = found.at[slots.field[found.at] == 0]
            known[unit] = Scored(
                papers, values, found, slots.sentence[found.at], np.unique(slots.paper[in_title])
            )

    def _unit(self, unit: Unit) -> Scored:
        found = self._units.get(unit)
        if found is None:
            self._score_units([unit])
            found = self._units[unit]
        return found

    def rows(self) -> Rows:
        """Concept x paper matrices of every concept made so far (extended on each call
        after new concepts)."""
        self._settle()
        done = self._rows
        if done is not None and done.scores.shape[0] == len(self.concepts):
            return done
        old = done.scores.shape[0] if done is not None else 0
        new = self.concepts[old:]
        width = max(self.n, 1)
        parts = [
            np.array([len(c.papers) for c in new], dtype=np.int64),
            np.concatenate([_none(), *(c.papers for c in new)]),
            np.concatenate([_none(np.float32), *(c.values for c in new)]).astype(np.float32),
            np.array([len(c.phrase_papers) for c in new], dtype=np.int64),
            np.concatenate([_none(), *(c.phrase_papers for c in new)]),
            np.repeat(
                np.array([c.id * width for c in new], dtype=np.int64),
                np.array([len(c.shown_papers) for c in new], dtype=np.int64),
            )
            + np.concatenate([_none(), *(c.shown_papers for c in new)]),
            np.concatenate([_none(), *(c.shown.at for c in new)]),
            np.concatenate([_none(), *(c.shown.n for c in new)]),
        ]
        if done is not None:
            before = (
                np.diff(done.scores.indptr),
                done.scores.indices,
                done.scores.data,
                np.diff(done.phrase.indptr),
                done.phrase.indices,
                done.shown_keys,
                done.shown_at,
                done.shown_n,
            )
            parts = [np.concatenate((a, b)) for a, b in zip(before, parts, strict=True)]
        counts, papers, values, phrase_counts, phrase_papers, *shown = parts
        shape = (len(self.concepts), self.n)
        scores = sparse.csr_matrix((values, papers, _pointers(counts)), shape=shape)
        ones = np.ones(len(phrase_papers), dtype=np.float32)
        phrase = sparse.csr_matrix((ones, phrase_papers, _pointers(phrase_counts)), shape=shape)
        rows = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        matched = rows * width + papers.astype(np.int64)
        self._rows = Rows(scores, phrase, matched, *shown)
        return self._rows

    def is_match(self, keys: np.ndarray) -> np.ndarray:
        """Which of `keys` (concept * papers + paper, any shape; a concept not made yet is
        no match) are matches (Rows.matched): looked up in a table of flags kept up to date
        with the concepts made (within FLAG_TABLE), else searched."""
        matched, width = self.rows().matched, max(self.n, 1)
        needed = (len(self.concepts) + 1) * width
        if needed > FLAG_TABLE:
            return _member(keys, matched)
        if len(self._flags) < needed:  # grown by doubling: new concepts come block by block
            grown = np.zeros(min(max(2 * len(self._flags), needed), FLAG_TABLE), dtype=bool)
            grown[: len(self._flags)] = self._flags
            self._flags = grown
        if self._flagged < len(self.concepts):
            self._flags[matched[np.searchsorted(matched, self._flagged * width) :]] = True
            self._flagged = len(self.concepts)
        return self._flags[keys]

    def loose(self, concept: Concept) -> Loose:
        """The concept's words found anywhere, qualified or not (near misses,
        digest.ranking.near): per paper, the BM25F of the phrase plus that of each of its
        units and of each word of a unit written as several words (a long form or a listed
        topic as typed); a concept of metadata or of several parts has none."""
        found = self._loose.get(concept.id)
        if found is None:
            total = np.zeros(self.n)
            parts = []
            if concept.alternatives:
                occurrences = self._hits(concept.alternatives)
                papers, values = self._bm25f(occurrences)
                total[papers] += values
                parts.append(occurrences)
            # "prompt optimization" is one unit of `automatic prompt optimization` (a listed
            # topic): its words still count apart
            words = [((k,),) for u in concept.units if len(u[0]) > 1 for k in u[0] if k not in STOP]
            for unit in map(self._unit, dict.fromkeys([*concept.units, *words])):
                total[unit.papers] += unit.values
                parts.append(unit.hits)
            hits = NO_HITS
            if parts:  # the phrase and its words at one place: one occurrence, shown once
                merged = _sorted(_concat(parts, [None] * len(parts)), distinct=True)
                hits = _joined(np.zeros(len(merged.at), dtype=np.int64), merged)[1]
            papers = np.flatnonzero(total > 0)
            found = self._loose[concept.id] = Loose(papers, total[papers], hits)
        return found

    # ------------------------------------------------------------------ explaining

    def whys(
        self, concepts: Sequence[Concept], papers: np.ndarray, fields: Sequence[str]
    ) -> list[Why]:
        """(where, terms found, spans) of each concept in the paper beside it (each a match),
        `fields` being every paper's title and abstract (paper * 2 + field): the spans sorted
        by field and offset, overlapping or touching ones joined (as spans.merge_raw), made on
        arrays for all the pairs at once; the terms in the order shown, each once (case
        aside)."""
        rows, slots = self.rows(), self.text.slots
        keys = np.array([c.id for c in concepts], dtype=np.int64) * max(self.n, 1) + papers
        lo = np.searchsorted(rows.shown_keys, keys)
        counts = np.searchsorted(rows.shown_keys, keys, side="right") - lo
        # the phrase where it is found; its words only in papers without the phrase
        total = int(counts.sum())
        starts = np.cumsum(counts) - counts
        owner = np.repeat(np.arange(len(keys), dtype=np.int64), counts)
        picked = np.repeat(lo - starts, counts) + np.arange(total, dtype=np.int64)
        at, n = rows.shown_at[picked], rows.shown_n[picked]
        fld, begin, end = slots.field[at], slots.start[at], slots.end[at + n - 1]
        # where: title and / or abstract (shared tuples)
        seen = np.zeros(len(keys), dtype=np.int64)
        for f in range(len(FIELDS)):
            seen |= (np.bincount(owner[fld == f], minlength=len(keys)) > 0).astype(np.int64) << f
        # terms: each word found once (case aside), as first shown
        where_text = map(fields.__getitem__, (papers[owner] * len(FIELDS) + fld).tolist())
        words = list(map(str.__getitem__, where_text, map(slice, begin.tolist(), end.tolist())))
        # each lowered word numbered by where it is first met; the first of each (pair, word)
        numbers: dict[str, int] = {}
        code = np.fromiter(
            map(numbers.setdefault, map(str.lower, words), range(total)), np.int64, count=total
        )
        first_of = np.zeros(total, dtype=bool)
        first_of[np.unique(owner * max(total, 1) + code, return_index=True)[1]] = True
        kept = tuple(compress(words, first_of.tolist()))
        term_bounds = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner[first_of], minlength=len(keys)), out=term_bounds[1:])
        # spans: sorted by (field, start, end) per pair, joined while they overlap or touch
        order = np.lexsort((end, begin, fld, owner))
        group = (owner * len(FIELDS) + fld)[order]
        begin, end = begin[order], end[order]
        reach = np.maximum.accumulate(group * _FAR + end) - group * _FAR if total else end
        new = np.ones(total, dtype=bool)
        new[1:] = (group[1:] != group[:-1]) | (begin[1:] > reach[:-1])
        heads = np.flatnonzero(new)
        tails = np.append(heads[1:], total)[: len(heads)] - 1
        names = list(map(FIELDS.__getitem__, (group[heads] % len(FIELDS)).tolist()))
        spans = tuple(
            map(
                tuple.__new__,
                repeat(Span),
                zip(names, begin[heads].tolist(), reach[tails].tolist(), strict=True),
            )
        )
        span_bounds = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(np.bincount(owner[order][heads], minlength=len(keys)), out=span_bounds[1:])
        # one tuple per pair (a slice of a tuple), made in C loops (map over slices)
        terms = map(
            kept.__getitem__, map(slice, term_bounds[:-1].tolist(), term_bounds[1:].tolist())
        )
        shown = map(
            spans.__getitem__, map(slice, span_bounds[:-1].tolist(), span_bounds[1:].tolist())
        )
        out: list[Why] = list(
            zip(map(_WHERE.__getitem__, seen.tolist()), terms, shown, strict=True)
        )
        for i, concept in enumerate(concepts):
            if concept.meta is not None:
                out[i] = ((concept.meta[0],), (metadata.label(*concept.meta),), ())
        return out


class _Words:
    """The occurrences of a batch of concepts' units, each distinct unit once, by unit and
    slot, and which unit is each concept's j-th (`which`, -1: none): what `_together` asks
    of them, on arrays for all the concepts at once, with work that follows the sentences
    that may hold every unit of a concept, not every occurrence of a common unit once per
    concept. Sentences are keyed unit * count + sentence."""

    def __init__(self, units: Sequence[tuple[Unit, ...]], scored: dict[Unit, Scored], count: int):
        ids = {u: i for i, u in enumerate(dict.fromkeys(u for of in units for u in of))}
        self.units = units
        self.count = count  # sentences in the index
        self.width = max(map(len, units), default=0)
        self.which = _padded([[ids[u] for u in of] for of in units])
        distinct = [scored[u] for u in ids]
        uid = np.repeat(
            np.arange(len(distinct), dtype=np.int64), [len(s.hits.at) for s in distinct]
        )
        at = np.concatenate([_none(), *(s.hits.at for s in distinct)])
        n = np.concatenate([_none(), *(s.hits.n for s in distinct)])
        sentence = np.concatenate([_none(), *(s.sentences for s in distinct)])
        # sentences are numbered in slot order: by unit and slot is by unit and sentence
        order = uid * (int(at.max(initial=0)) + 1) + at
        if len(order) > 1 and (order[1:] < order[:-1]).any():
            by = np.argsort(order, kind="stable")
            uid, at, n, sentence = uid[by], at[by], n[by], sentence[by]
        self.key, self.at, self.n = uid * count + sentence, at, n
        new = np.ones(len(self.key), dtype=bool)
        new[1:] = self.key[1:] != self.key[:-1]
        self.held = self.key[new]  # the distinct (unit, sentence) keys, ascending
        self.bounds = np.searchsorted(self.held, np.arange(len(distinct) + 1) * count)

    def together(self) -> tuple[np.ndarray, np.ndarray]:
        """(concept, sentence) of the sentences holding every unit of the concept (a unit
        counts once per sentence), ascending: the sentences of its rarest unit that hold
        the others too."""
        which = self.which
        rarest = _fewest(which, np.diff(self.bounds))
        owner, picked = _expand(self.bounds[rarest], self.bounds[rarest + 1])
        sentence = self.held[picked] - rarest[owner] * self.count
        units = which[owner]  # candidate x unit
        keys = np.where(units >= 0, units * self.count + sentence[:, None], 0)
        size = (len(self.bounds) - 1) * self.count
        ok = ((units < 0) | _member(keys, self.held, size)).all(axis=1)
        return owner[ok], sentence[ok]

    def occurrences(
        self, owner: np.ndarray, sentence: np.ndarray, j: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(concept, slot, token count, sentence) of the occurrences of each concept's j-th
        unit in the given (concept, sentence) pairs; ascending by concept and slot when the
        pairs are ascending."""
        unit = self.which[owner, j]
        has = unit >= 0
        owner, sentence = owner[has], sentence[has]
        wanted = unit[has] * self.count + sentence
        lo = np.searchsorted(self.key, wanted)
        pair, picked = _expand(lo, np.searchsorted(self.key, wanted, side="right"))
        return owner[pair], self.at[picked], self.n[picked], sentence[pair]


# the fields a match was found in, by bit mask (bit f: FIELDS[f])
_WHERE = tuple(tuple(name for f, name in enumerate(FIELDS) if mask >> f & 1) for mask in range(4))
_FAR = 1 << 40  # above any character offset: keeps running maxima apart per group


def _member(keys: np.ndarray, of: np.ndarray, size: int | None = None) -> np.ndarray:
    """Which of `keys` are in `of` (ascending): a binary search, faster here than np.isin;
    given `size` (every key is in [0, size)) and a small one, a look-up in a table of flags."""
    if not len(of):
        return np.zeros(np.shape(keys), dtype=bool)
    if size is not None and size <= FLAG_TABLE:
        flags = np.zeros(size, dtype=bool)
        flags[of] = True
        return flags[keys]
    return of[np.searchsorted(of, keys).clip(max=len(of) - 1)] == keys


def _padded(rows: Sequence[Sequence[int]]) -> np.ndarray:
    """`rows` (numbers >= 0) as a 2-D array, the shorter ones padded with -1."""
    width = max(map(len, rows), default=0)
    pad = [-1] * width
    return np.array([[*row, *pad[len(row) :]] for row in rows], dtype=np.int64).reshape(
        len(rows), width
    )


def _fewest(which: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Per row of `which` (numbers, -1: none), its number with the smallest size."""
    sized = np.where(which >= 0, sizes[which], np.iinfo(np.int64).max)
    return which[np.arange(len(which)), sized.argmin(axis=1)]


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the ranges [lo[i], hi[i]) one after the other, and the range (i)
    of each."""
    sizes = hi - lo
    owner = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    starts = np.cumsum(sizes) - sizes  # where each range's positions start in the result
    return owner, np.arange(len(owner), dtype=np.int64) + (lo - starts)[owner]


def _pointers(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _concat(hits: Sequence[Hits], keep: Sequence[np.ndarray | None]) -> Hits:
    """The occurrences of each of `hits` where `keep` (None: all), one after the other."""
    at = [h.at if k is None else h.at[k] for h, k in zip(hits, keep, strict=True)]
    n = [h.n if k is None else h.n[k] for h, k in zip(hits, keep, strict=True)]
    return Hits(np.concatenate(at), np.concatenate(n)) if at else NO_HITS


def _joined(owner: np.ndarray, hits: Hits) -> tuple[np.ndarray, Hits]:
    """Occurrences grouped by owner and sorted (`_grouped`), those that overlap joined into
    one ("Direct Preference Optimization" and its "Preference Optimization" are one
    occurrence of DPO, not two)."""
    if len(hits.at) < 2:
        return owner, hits
    at, end = hits.at, hits.at + hits.n
    big = int(end.max()) + 1  # owners' keys never meet
    reach = np.maximum.accumulate(owner * big + end)  # the furthest end so far, per owner
    new = np.ones(len(at), dtype=bool)
    new[1:] = owner[1:] * big + at[1:] >= reach[:-1]
    first = np.flatnonzero(new)
    ends = np.maximum.reduceat(end, first)
    return owner[first], Hits(at[first], ends - at[first])


def _sorted(hits: Hits, distinct: bool) -> Hits:
    """Occurrences by paper, field, position and length (as tuples sort); `distinct`: each
    once."""
    return _grouped(np.zeros(len(hits.at), dtype=np.int64), hits, distinct)[1]


def _grouped(owner: np.ndarray, hits: Hits, distinct: bool) -> tuple[np.ndarray, Hits]:
    """Occurrences of several owners (numbers) by owner, then as `_sorted`; `distinct`: each
    once per owner. Returns their owners too."""
    order = np.lexsort((hits.n, hits.at, owner))
    owner, at, n = owner[order], hits.at[order], hits.n[order]
    if distinct and len(at) > 1:
        new = np.ones(len(at), dtype=bool)
        new[1:] = (at[1:] != at[:-1]) | (n[1:] != n[:-1]) | (owner[1:] != owner[:-1])
        owner, at, n = owner[new], at[new], n[new]
    return owner, Hits(at, n)
