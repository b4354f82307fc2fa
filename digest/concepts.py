"""Concepts (pure): one interest with its variants, scored per paper with BM25F.

A concept's alternatives are key sequences: the interest as written, each acronym in it
replaced by its expansions, each expansion in it replaced by its acronym, and a two- or
three-word interest written joined ("pre-training" -> "pretraining"). Occurrences of any
alternative count as occurrences of the concept (one document frequency for the union).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from digest.matching import FIELDS, STOP, TOKEN, Occurrence, TextIndex, norm, surface_keys
from digest.models import Span

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 2.5  # a title occurrence counts as this many abstract ones
SCATTER = 0.4  # share of an unquoted multi-word interest's score its words get found apart
MAX_ALTERNATIVES = 24
PRIOR_DOCS = 20

Why = tuple[tuple[str, ...], tuple[str, ...], tuple[Span, ...]]


@dataclass
class Concept:
    id: int
    alternatives: tuple[tuple[str, ...], ...]
    words: tuple[str, ...]  # content words scored apart (unquoted multi-word interests)
    scores: dict[int, float] = field(default_factory=dict)
    occurrences: dict[int, list[Occurrence]] = field(default_factory=dict)
    word_hits: dict[int, list[Occurrence]] = field(default_factory=dict)
    why: dict[int, Why | None] = field(default_factory=dict)


class ConceptBook:
    """Every concept seen so far for one index, computed once and shared by profiles."""

    def __init__(self, text: TextIndex, acronyms: dict[str, set[tuple[str, ...]]]):
        self.text = text
        self.expansions = acronyms
        self.shorts: dict[tuple[str, ...], set[str]] = {}
        for short, longs in acronyms.items():
            for long in longs:
                self.shorts.setdefault(long, set()).add(short)
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        for long in self.shorts:
            self.by_first.setdefault(long[0], []).append(long)
        lengths = np.array(text.lengths, dtype=np.float64).reshape(-1, 2)
        avg = np.maximum(lengths.mean(axis=0), 1.0) if len(lengths) else np.ones(2)
        self.norms = 1 - B + B * lengths / avg  # per paper, per field
        self.n = len(lengths)
        self.concepts: list[Concept] = []
        self.by_key: dict[tuple[str, bool], Concept] = {}
        self.by_shape: dict[tuple[object, ...], Concept] = {}
        self._word_scores: dict[str, dict[int, float]] = {}
        self._matrix: np.ndarray | None = None

    # ------------------------------------------------------------------ building

    def concept(self, text: str, phrase: bool) -> Concept:
        key = (text.lower(), phrase)
        found = self.by_key.get(key)
        if found is not None:
            return found
        alternatives = self._alternatives(text)
        primary = alternatives[0]
        words = () if phrase or len(primary) < 2 else tuple(k for k in primary if k not in STOP)
        shape = (alternatives, words)
        concept = self.by_shape.get(shape)
        if concept is None:
            concept = Concept(len(self.concepts), alternatives, words)
            self._score(concept)
            self.concepts.append(concept)
            self.by_shape[shape] = concept
            self._matrix = None
        self.by_key[key] = concept
        return concept

    def _alternatives(self, text: str) -> tuple[tuple[str, ...], ...]:
        keys = tuple(self._fold_plural(k) for k in surface_keys(text))
        out = [keys]
        for i, k in enumerate(keys):
            for long in sorted(self.expansions.get(k, ())):
                out.append(keys[:i] + long + keys[i + 1 :])
        for i, k in enumerate(keys):
            for long in self.by_first.get(k, ()):
                if keys[i : i + len(long)] == long:
                    for short in sorted(self.shorts[long]):
                        out.append((*keys[:i], short, *keys[i + len(long) :]))
        words = TOKEN.findall(text)
        if 2 <= len(words) <= 3:
            out.append((norm("".join(words)),))
        unique = list(dict.fromkeys(out))
        return tuple(unique[:MAX_ALTERNATIVES])

    def _fold_plural(self, key: str) -> str:
        """Lowercase "llms" as typed: the plural of a known acronym."""
        if key.endswith("s") and key not in self.text.postings and key[:-1] in self.expansions:
            return key[:-1]
        return key

    # ------------------------------------------------------------------ scoring

    def _bm25f(self, hits: dict[int, list[Occurrence]]) -> dict[int, float]:
        if not hits:
            return {}
        papers = np.fromiter(hits, dtype=np.int64, count=len(hits))
        tf = np.zeros((len(papers), 2))
        for row, p in enumerate(hits):
            for f, _, _ in hits[p]:
                tf[row, f] += 1
        df = len(papers)
        # PRIOR_DOCS unseen papers without the term: in a small set (one day's listing)
        # a term every paper shares still tells something, and scores stay comparable
        idf = math.log(1 + (self.n + PRIOR_DOCS - df + 0.5) / (df + 0.5))
        weighted = tf / self.norms[papers]
        t = weighted[:, 0] * TITLE_WEIGHT + weighted[:, 1]
        score = idf * t * (K1 + 1) / (K1 + t)
        return dict(zip(papers.tolist(), score.tolist(), strict=True))

    def _score(self, concept: Concept) -> None:
        hits: dict[int, list[Occurrence]] = {}
        for alt in concept.alternatives:
            for p, occ in self.text.phrase(alt).items():
                hits.setdefault(p, []).extend(occ)
        for p, occ in hits.items():  # an alternative inside another counts once
            hits[p] = sorted(set(occ))
        concept.occurrences = hits
        concept.scores = self._bm25f(hits)
        if not concept.words:
            return
        share = SCATTER / len(concept.words)
        for word in concept.words:
            for p, s in self._word_score(word).items():
                concept.scores[p] = concept.scores.get(p, 0.0) + share * s
                concept.word_hits.setdefault(p, []).extend(self.text.postings[word][p])

    def _word_score(self, word: str) -> dict[int, float]:
        if word not in self._word_scores:
            self._word_scores[word] = self._bm25f(self.text.postings.get(word, {}))
        return self._word_scores[word]

    def matrix(self) -> np.ndarray:
        """Concept x paper scores (float32)."""
        if self._matrix is None or self._matrix.shape[0] != len(self.concepts):
            m = np.zeros((len(self.concepts), self.n), dtype=np.float32)
            for c in self.concepts:
                if c.scores:
                    m[c.id, list(c.scores)] = list(c.scores.values())
            self._matrix = m
        return self._matrix

    # ------------------------------------------------------------------ explaining

    def why(self, concept: Concept, paper: int, texts: tuple[str, str]) -> Why | None:
        """(where, terms found, spans) of a concept in a paper, or None when it has no score."""
        if paper in concept.why:
            return concept.why[paper]
        result: Why | None = None
        if concept.scores.get(paper, 0.0) > 0:
            occ = concept.occurrences.get(paper, []) + concept.word_hits.get(paper, [])
            spans = [self.text.span(paper, o) for o in occ]
            where = tuple(f for f in FIELDS if any(s[0] == f for s in spans))
            terms: dict[str, str] = {}
            named = spans[: len(concept.occurrences.get(paper, []))] or spans
            for f, start, end in named:  # the phrase as found; its words only when apart
                word = texts[FIELDS.index(f)][start:end]
                terms.setdefault(word.lower(), word)
            result = (where, tuple(terms.values()), tuple(Span(*s) for s in spans))
        concept.why[paper] = result
        return result
