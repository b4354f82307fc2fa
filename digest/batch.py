"""One chunk of profiles scored at once (pure numpy/scipy): relevance, candidates, top k.

relevance = (profile x concept weights, sparse) @ (concept x paper scores, dense); then only
the papers above the minimum relevance that are candidates are ordered, grouped by profile,
so the cost follows the matches rather than profiles x papers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from digest.feedback import feedback_adjustment
from digest.models import Profile, ScoredPaper

if TYPE_CHECKING:
    from digest.concepts import Concept
    from digest.rank import RankIndex

Wanted = tuple[list[tuple["Concept", str, float]], list["Concept"]]


def sparse_rows(rows: Sequence[Sequence[tuple[int, float]]], width: int) -> sparse.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    cols = np.fromiter((c for r in rows for c, _ in r), dtype=np.int64, count=int(indptr[-1]))
    vals = np.fromiter((v for r in rows for _, v in r), dtype=np.float32, count=int(indptr[-1]))
    return sparse.csr_matrix((vals, cols, indptr), shape=(len(rows), width))


def rank_chunk(
    index: RankIndex,
    profiles: Sequence[Profile],
    wanted: Sequence[Wanted],
    scores: np.ndarray,
    present: np.ndarray,
    min_relevance: float,
) -> list[list[ScoredPaper]]:
    weights = sparse_rows([[(c.id, w) for c, _, w in inc] for inc, _ in wanted], len(scores))
    relevance = np.asarray(weights @ scores, dtype=np.float32)
    blocked = _blocked(index, profiles, wanted, index.book.phrase_present())
    matched = None
    for i, p in enumerate(profiles):
        if p.liked or p.disliked:
            assert blocked is not None  # made whenever a profile has feedback
            if matched is None:
                matched = relevance > 0  # feedback moves papers; it never picks one alone
            relevance[i] += feedback_adjustment(index, p.liked, p.disliked, blocked[i])
    ok = relevance >= min_relevance
    if matched is not None:
        ok &= matched
    if blocked is not None:
        ok &= ~blocked
    rows, cols = _top_candidates(relevance, index.trending_factor32, ok, profiles)
    rel = relevance[rows, cols].astype(np.float64)
    score = rel * index.trending_factor[cols]
    order = _order(rows, score, index.tiebreak[cols], len(index))
    rows, cols, rel, score = rows[order], cols[order], rel[order], score[order]
    starts = np.searchsorted(rows, np.arange(len(profiles) + 1))
    limits = np.array([max(p.max_papers, 0) for p in profiles], dtype=np.int64)
    keep = np.arange(len(rows)) - starts[rows] < limits[rows]
    rows, cols, rel, score = rows[keep], cols[keep], rel[keep], score[keep]
    masks = _match_masks(wanted, rows, cols, present)
    bounds = np.searchsorted(rows, np.arange(len(profiles) + 1)).tolist()
    feedback = np.array([bool(p.liked or p.disliked) for p in profiles], dtype=bool)
    made = index.explainer.results(wanted, rows, cols, masks, rel, score, feedback[rows])
    return [made[bounds[i] : bounds[i + 1]] for i in range(len(profiles))]


def _top_candidates(
    relevance: np.ndarray, factor: np.ndarray, ok: np.ndarray, profiles: Sequence[Profile]
) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of every candidate that may be in its row's top k, ties included.

    A float32 sort finds each row's k-th best score; everything within a relative
    1e-5 of it is kept, so the exact ordering afterwards sees every tie.
    """
    n = relevance.shape[1]
    k = max((p.max_papers for p in profiles), default=0)
    score = relevance * factor[None, :]
    np.multiply(score, ok, out=score)  # not a candidate: 0 (a candidate scores at least 1)
    floor = np.float32(1e-9)
    if 0 < k < n:
        kth = np.sort(score, axis=1)[:, n - k]  # (a vectorised sort beats partition here)
        threshold = np.maximum(kth * np.float32(1 - 1e-5), floor)
        cand = score >= threshold[:, None]
    else:
        cand = score >= floor
    flat = np.flatnonzero(cand)
    rows = flat // n
    return rows, flat - rows * n


def _order(rows: np.ndarray, score: np.ndarray, tiebreak: np.ndarray, n: int) -> np.ndarray:
    """Order of results: by profile, then score (to 1e-6) desc, then column order (newer, id)."""
    rank = np.rint(score * 1e6).astype(np.int64) * n + tiebreak.astype(np.int64)
    top = int(rank.max(initial=0)) + 1
    if len(rows) and (int(rows[-1]) + 1) * top < 2**62:  # one int64 sort key (fast)
        return np.argsort(rows.astype(np.int64) * top + (top - 1 - rank), kind="stable")
    return np.lexsort((-rank, rows))


def _blocked(
    index: RankIndex, profiles: Sequence[Profile], wanted: Sequence[Wanted], phrases: np.ndarray
) -> np.ndarray | None:
    """Papers that are not candidates: excluded by a term, too old, or already sent."""
    blocked: np.ndarray | None = None
    if any(exc for _, exc in wanted):
        excluded = sparse_rows([[(c.id, 1.0) for c in exc] for _, exc in wanted], len(phrases))
        blocked = np.asarray(excluded @ phrases) > 0
    since = np.array([_ts(p) for p in profiles], dtype=np.float64)
    timed = ~np.isnan(since)
    sent = [(i, p.already_sent) for i, p in enumerate(profiles) if p.already_sent]
    needs = timed.any() or sent or any(p.liked or p.disliked for p in profiles)
    if needs and blocked is None:
        blocked = np.zeros((len(profiles), len(index)), dtype=bool)
    if blocked is None:
        return None
    if timed.any():
        with np.errstate(invalid="ignore"):  # a paper never seen (NaN) is not after `since`
            blocked[timed] |= ~(index.first_seen[None, :] > since[timed, None])
    for i, ids in sent:
        cols = [j for j in map(index.ids.get, ids) if j is not None]
        blocked[i, cols] = True
    return blocked


def _ts(profile: Profile) -> float:
    return profile.since.timestamp() if profile.since is not None else np.nan


def _match_masks(
    wanted: Sequence[Wanted], rows: np.ndarray, cols: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """Per result, a bit per interest of its profile: set when that interest matched."""
    slots = max((len(inc) for inc, _ in wanted), default=0)
    pad = len(present)  # an extra all-zero row of `present`
    ids = np.full((len(wanted), max(slots, 1)), pad, dtype=np.int64)
    for i, (inc, _) in enumerate(wanted):
        ids[i, : len(inc)] = [c.id for c, _, _ in inc]
    padded = np.vstack([present > 0, np.zeros((1, present.shape[1]), dtype=bool)])
    hit = padded[ids[rows], cols[:, None]]  # result x slot
    bits = 1 << np.arange(ids.shape[1], dtype=np.int64)
    return (hit * bits[None, :]).sum(axis=1)
