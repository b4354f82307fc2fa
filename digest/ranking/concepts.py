"""Concepts (pure): one interest with its variants, scored per paper with BM25F.

A concept's *phrase* alternatives are key sequences: the interest as written, each acronym
in it replaced by its expansions, each expansion in it replaced by its acronym, and a two- or
three-word interest written joined ("pre-training" -> "pretraining"). Occurrences of any
alternative count as occurrences of the phrase (one document frequency for the union).

An unquoted interest of several *units* (a content word, or a known expansion such as
"large language model", each with its acronym forms) also matches where every one of its
units occurs in one sentence (the title, or one sentence of the abstract): "code LLMs" finds
"code generation with large language models", never a paper that only says "our code is
available" or only "LLMs". Such a match scores its units' BM25F sum; the phrase itself earns
a bonus on top. Some of the units is never a match, so a common word alone qualifies nothing.

`A + B` is one interest that needs both: a paper matches when each part matches it (each part
is a concept as above), and scores the mean of the parts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from digest.ranking import metadata
from digest.ranking.matching import FIELDS, STOP, TOKEN, Occurrence, TextIndex, norm, surface_keys

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
# in at most this share of the papers): "machine unlearning" in the abstract of "Unlearning
# for LLMs", not "code LLMs" in the abstract of any paper titled with "LLM".
RARE_TITLE_WORD = 0.1

Why = tuple[tuple[str, ...], tuple[str, ...], list[tuple[int, int, int]]]
Keys = tuple[str, ...]
Unit = tuple[Keys, ...]  # alternatives of one unit


@dataclass
class Concept:
    id: int
    alternatives: tuple[Keys, ...]
    units: tuple[Unit, ...]  # scored apart (unquoted interests of two or more units)
    scores: dict[int, float] = field(default_factory=dict)
    occurrences: dict[int, list[Occurrence]] = field(default_factory=dict)
    word_hits: dict[int, list[Occurrence]] = field(default_factory=dict)
    meta: tuple[str, str] | None = None  # ("author" | "cat", value): matched on metadata


class ConceptBook:
    """Every concept seen so far for one index, computed once and shared by profiles."""

    def __init__(
        self,
        text: TextIndex,
        acronyms: dict[str, set[tuple[str, ...]]],
        meta: Sequence[tuple[tuple[str, ...], tuple[str, ...]]] = (),
    ):
        self.text = text
        self.meta = meta  # per paper: (authors, arXiv categories)
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
        self._units: dict[Unit, tuple[dict[int, float], dict[int, list[Occurrence]]]] = {}
        self._form_cache: dict[str, list[Keys]] = {}
        self._unit_places: dict[Unit, dict[int, frozenset[tuple[int, int]]]] = {}
        self._loose: dict[int, tuple[dict[int, float], dict[int, list[Occurrence]]]] = {}
        # concept x paper rows, written once when a concept is made; capacity doubles
        self._rows = np.zeros((3, 16, self.n), dtype=np.float32)  # scores, present, phrase

    # ------------------------------------------------------------------ building

    def concept(self, text: str, phrase: bool) -> Concept:
        key = (text.lower(), phrase)
        found = self.by_key.get(key)
        if found is not None:
            return found
        parts = [p.strip() for p in text.split("+")] if not phrase else []
        if len([p for p in parts if TOKEN.search(p)]) > 1:
            return self._both(key, [self.concept(p, False) for p in parts if TOKEN.search(p)])
        named = metadata.split(text)
        if named is not None:
            return self._metadata(key, named)
        alternatives = self._alternatives(text)
        units = () if phrase else self._units_of(alternatives[0])
        shape = (alternatives, units if len(units) > 1 else ())
        concept = self.by_shape.get(shape)
        if concept is None:
            concept = Concept(len(self.concepts), *shape)
            self._score(concept)
            self.concepts.append(concept)
            self.by_shape[shape] = concept
            self._store_row(concept)
        self.by_key[key] = concept
        return concept

    def _metadata(self, key: tuple[str, bool], named: tuple[str, str]) -> Concept:
        """`author:...` or `cat:...`: a paper by that author or in that category, scored like
        a central match (METADATA_SCORE); as an exclusion, it removes those papers."""
        shape = ("meta", named[0], named[1].lower())
        concept = self.by_shape.get(shape)
        if concept is None:
            concept = Concept(len(self.concepts), (), (), meta=named)
            found = metadata.matching(*named, self.meta)
            concept.scores = dict.fromkeys(found, METADATA_SCORE)
            concept.occurrences = {j: [] for j in found}  # what an exclusion removes
            self.concepts.append(concept)
            self.by_shape[shape] = concept
            self._store_row(concept)
        self.by_key[key] = concept
        return concept

    def _both(self, key: tuple[str, bool], parts: list[Concept]) -> Concept:
        """A concept matched where every part matches (`A + B`), scored by their mean."""
        shape = ("+", *sorted(c.id for c in parts))
        concept = self.by_shape.get(shape)
        if concept is None:
            concept = Concept(len(self.concepts), (), ())
            common = set(parts[0].scores).intersection(*(c.scores for c in parts[1:]))
            for p in common:
                concept.scores[p] = sum(c.scores[p] for c in parts) / len(parts)
                for c in parts:
                    found = c.occurrences.get(p) or c.word_hits.get(p, [])
                    concept.word_hits.setdefault(p, []).extend(found)
            self.concepts.append(concept)
            self.by_shape[shape] = concept
            self._store_row(concept)
        self.by_key[key] = concept
        return concept

    def _alternatives(self, text: str) -> tuple[tuple[str, ...], ...]:
        keys = tuple(self._fold_plural(k) for k in surface_keys(text))
        out = [keys]
        for i, k in enumerate(keys):
            for form in self._forms(k):
                out.append(keys[:i] + form + keys[i + 1 :])
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

    def _forms(self, short: str) -> list[Keys]:
        """An acronym's expansions, then the other acronyms of those expansions."""
        found = self._form_cache.get(short)
        if found is None:
            longs = sorted(self.expansions.get(short, ()))
            siblings = {(s,) for lg in longs for s in self.shorts[lg] if s != short}
            found = self._form_cache[short] = longs + sorted(siblings)
        return found

    def _units_of(self, keys: Keys) -> tuple[Unit, ...]:
        """Split keys into units: known expansions (with their acronyms) and content words."""
        units: list[Unit] = []
        i = 0
        while i < len(keys):
            long = next(
                (lg for lg in self.by_first.get(keys[i], ()) if keys[i : i + len(lg)] == lg), None
            )
            if long is not None:
                units.append((long, *sorted((s,) for s in self.shorts[long])))
                i += len(long)
                continue
            if keys[i] not in STOP:
                units.append(((keys[i],), *self._forms(keys[i])))
            i += 1
        if len(units) == 1 and len(keys) > 1:  # the interest is one expansion: use its words
            units = [((k,), *self._forms(k)) for k in keys if k not in STOP]
        return tuple(dict.fromkeys(units))

    # ------------------------------------------------------------------ scoring

    def _bm25f(self, hits: dict[int, list[Occurrence]]) -> dict[int, float]:
        if not hits:
            return {}
        papers = np.fromiter(hits, dtype=np.int64, count=len(hits))
        # (title, all) occurrence counts per paper; fields are 0 (title) and 1 (abstract)
        tf = np.array([(len(occ) - sum(f for f, _, _ in occ), len(occ)) for occ in hits.values()])
        tf[:, 1] -= tf[:, 0]
        df = len(papers)
        # PRIOR_DOCS unseen papers without the term: in a small set (one day's listing)
        # a term every paper shares still tells something, and scores stay comparable
        idf = math.log(1 + (self.n + PRIOR_DOCS - df + 0.5) / (df + 0.5))
        weighted = tf / self.norms[papers]
        t = weighted[:, 0] * TITLE_WEIGHT + weighted[:, 1]
        score = idf * t * (K1 + 1) / (K1 + t)
        return dict(zip(papers.tolist(), score.tolist(), strict=True))

    def _hits(self, alternatives: tuple[Keys, ...]) -> dict[int, list[Occurrence]]:
        """Occurrences of any alternative, per paper (read-only: may be the index's own)."""
        found = [f for f in map(self.text.phrase, alternatives) if f]
        if len(found) == 1:
            return found[0]  # one alternative occurs: its lists are sorted and distinct already
        hits: dict[int, list[Occurrence]] = {}
        for one in found:
            for p, occ in one.items():
                hits.setdefault(p, []).extend(occ)
        return {p: sorted(set(occ)) for p, occ in hits.items()}  # nested alternatives count once

    def _score(self, concept: Concept) -> None:
        concept.occurrences = self._hits(concept.alternatives)
        phrase = self._bm25f(concept.occurrences)
        if not concept.units:
            concept.scores = dict(phrase)
            self._keep_central(concept)
            return
        scored = [self._unit(unit) for unit in concept.units]
        places = [
            self._places(unit, hits) for unit, (_, hits) in zip(concept.units, scored, strict=True)
        ]
        candidates = set(scored[0][1]).intersection(*(hits for _, hits in scored[1:]))
        concept.scores = {}
        for p in candidates:
            # the sentences (field, number) holding every unit
            together = places[0][p].intersection(*(where[p] for where in places[1:]))
            if not together:
                continue
            fields = self.text.tokens[p]
            concept.scores[p] = sum(scores[p] for scores, _ in scored)
            concept.word_hits[p] = sorted(
                occ
                for _, hits in scored
                for occ in hits[p]
                if (occ[0], fields[occ[0]].sentences[occ[1]]) in together
            )
        for p, v in phrase.items():
            concept.scores[p] = concept.scores.get(p, 0.0) + PHRASE_BONUS * v
        self._keep_central(concept)

    def _keep_central(self, concept: Concept) -> None:
        """A concept matches a paper it is central to: in the title, or in MIN_MENTIONS
        sentences of the abstract, or in one when the title holds a rare word of it; a passing
        mention is not a match (it still excludes)."""
        for p in list(concept.scores):
            occ = concept.occurrences.get(p) or concept.word_hits.get(p, [])
            sentences = self.text.tokens[p][1].sentences
            title = any(f == 0 for f, _, _ in occ)
            abstract = len({sentences[pos] for f, pos, _ in occ if f == 1})
            if TITLE_WEIGHT * title + abstract >= MIN_MENTIONS:
                continue
            if abstract and any(
                f == 0
                for unit in concept.units
                if len(self._unit(unit)[1]) <= RARE_TITLE_WORD * self.n
                for f, _, _ in self._unit(unit)[1].get(p, ())
            ):
                continue  # the whole concept in the abstract, part of it in the title
            del concept.scores[p]

    def _places(
        self, unit: Unit, hits: dict[int, list[Occurrence]]
    ) -> dict[int, frozenset[tuple[int, int]]]:
        """paper -> the sentences (field, number) where the unit occurs (made once per unit)."""
        found = self._unit_places.get(unit)
        if found is None:
            tokens = self.text.tokens
            found = self._unit_places[unit] = {
                p: frozenset((f, tokens[p][f].sentences[pos]) for f, pos, _ in occ)
                for p, occ in hits.items()
            }
        return found

    def _unit(self, unit: Unit) -> tuple[dict[int, float], dict[int, list[Occurrence]]]:
        if unit not in self._units:
            hits = self._hits(unit)
            self._units[unit] = (self._bm25f(hits), hits)
        return self._units[unit]

    def _store_row(self, concept: Concept) -> None:
        if concept.id >= self._rows.shape[1]:
            grown = np.zeros((3, 2 * self._rows.shape[1], self.n), dtype=np.float32)
            grown[:, : self._rows.shape[1]] = self._rows
            self._rows = grown
        if concept.scores:
            cols = np.fromiter(concept.scores, dtype=np.int64, count=len(concept.scores))
            self._rows[0, concept.id, cols] = np.fromiter(
                concept.scores.values(), dtype=np.float32, count=len(cols)
            )
            self._rows[1, concept.id, cols] = 1.0
        if concept.occurrences:
            self._rows[2, concept.id, list(concept.occurrences)] = 1.0

    def matrix(self) -> np.ndarray:
        """Concept x paper scores (float32; a view, valid until the next concept is made)."""
        return self._rows[0, : len(self.concepts)]

    def present(self) -> np.ndarray:
        """Concept x paper, 1.0 where the concept matched (float32, for sparse products)."""
        return self._rows[1, : len(self.concepts)]

    def phrase_present(self) -> np.ndarray:
        """Concept x paper, 1.0 where the phrase itself (or a variant) occurs: what `-term`
        excludes (its words found apart, or a passing mention that is no match, still do)."""
        return self._rows[2, : len(self.concepts)]

    def loose(self, concept: Concept) -> tuple[dict[int, float], dict[int, list[Occurrence]]]:
        """(score, occurrences) per paper of the concept's words found anywhere, qualified or
        not (near misses, digest.ranking.near): the BM25F of the phrase plus that of each of
        its units; a concept of metadata or of several parts has none."""
        found = self._loose.get(concept.id)
        if found is None:
            scores = self._bm25f(concept.occurrences) if concept.alternatives else {}
            hits = {p: list(occ) for p, occ in concept.occurrences.items()}
            for unit in concept.units:
                unit_scores, unit_hits = self._unit(unit)
                for p, v in unit_scores.items():
                    scores[p] = scores.get(p, 0.0) + v
                    hits.setdefault(p, []).extend(unit_hits[p])
            found = (scores, {p: sorted(set(o)) for p, o in hits.items()})
            self._loose[concept.id] = found
        return found

    # ------------------------------------------------------------------ explaining

    def why(self, concept: Concept, paper: int, texts: tuple[str, str]) -> Why | None:
        """(where, terms found, spans as (field index, start, end)) of a concept in a paper;
        None when it has no score there."""
        if concept.scores.get(paper, 0.0) <= 0:
            return None
        if concept.meta is not None:
            return (concept.meta[0],), (metadata.label(*concept.meta),), []
        # the phrase where it is found; its words only in papers without the phrase
        occ = concept.occurrences.get(paper) or concept.word_hits.get(paper, [])
        tokens = self.text.tokens[paper]
        spans = []
        terms: dict[str, str] = {}
        seen = [False, False]
        for f, pos, n in occ:
            toks = tokens[f]
            start, end = toks.starts[pos], toks.ends[pos + n - 1]
            spans.append((f, start, end))
            seen[f] = True
            word = texts[f][start:end]
            terms.setdefault(word.lower(), word)
        where = tuple(name for name, found in zip(FIELDS, seen, strict=True) if found)
        return where, tuple(terms.values()), spans
