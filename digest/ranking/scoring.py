"""One chunk of profiles scored at once (pure numpy/scipy): relevance, candidates, top k.

relevance = (profile x concept weights, sparse) @ (concept x paper scores, sparse): only the
(profile, paper) pairs that an interest matches; then only those above the minimum
relevance that are candidates are ordered, grouped by profile, so the cost follows the
matches rather than profiles x papers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from digest.ranking.feedback import feedback_adjustment
from digest.ranking.shapes import exclusion_matrix, slot_table, weight_matrix
from digest.ranking.types import (
    DISLIKED_OF,
    LIKED_OF,
    MAX_PAPERS_OF,
    SENT_OF,
    SINCE_OF,
    Profile,
    ScoredPaper,
    having,
)

if TYPE_CHECKING:
    from digest.ranking.index import RankIndex


# papers per group when bounding a row's k-th best score (see _top_candidates): a tenth of
# the sorting, a few more candidates
TOP_GROUP = 10


def rank_chunk(
    index: RankIndex,
    profiles: Sequence[Profile],
    shapes: np.ndarray,
    min_relevance: float,
) -> list[tuple[ScoredPaper, ...]]:
    """One tuple per profile (each of a distinct answer), best first; `shapes[i]` is the
    shape (digest.shapes) of profiles[i]."""
    matrices = index.book.rows()
    flat = index.shapes.flat()
    width = matrices.scores.shape[0]
    # the matched (profile, paper) pairs only: a profile matches a few of the papers
    product = sparse.csr_matrix(weight_matrix(flat, shapes, width) @ matrices.scores)
    indptr, cols = product.indptr, product.indices  # (the profile of a pair: by its place)
    relevance = product.data.astype(np.float32, copy=False)
    blocked = _blocked(index, profiles, exclusion_matrix(flat, shapes, width), matrices.phrase)
    feedback = sorted({*having(profiles, LIKED_OF), *having(profiles, DISLIKED_OF)})
    ok = relevance >= min_relevance
    if feedback:
        assert blocked is not None  # made whenever a profile has feedback
        matched = relevance > 0  # feedback moves papers; it never picks one alone
        for i in feedback:
            p = profiles[i]
            adjust = feedback_adjustment(index, p.liked, p.disliked, blocked[i])
            at = slice(indptr[i], indptr[i + 1])
            relevance[at] = relevance[at] + adjust[cols[at]]  # in float64, as a row += would
        ok = (relevance >= min_relevance) & matched
    if blocked is not None:  # only the rows of profiles with a blocked paper are looked at
        some_rows = np.flatnonzero(blocked.any(axis=1))
        some = _entries(indptr, some_rows)
        ok[some] &= ~blocked[np.repeat(some_rows, np.diff(indptr)[some_rows]), cols[some]]
    limits = np.fromiter(map(MAX_PAPERS_OF, profiles), np.int64, len(profiles)).clip(0)
    k = int(limits.max(initial=0))
    factor = index.trending_factor32[cols]
    cand = np.flatnonzero(_top_candidates(indptr, cols, relevance, factor, ok, k, len(index)))
    rows = np.searchsorted(indptr, cand, side="right") - 1  # the profile of each candidate
    cols, rel32 = cols[cand].astype(np.int64), relevance[cand]
    rel = rel32.astype(np.float64)
    score = rel * index.trending_factor[cols]
    order = _order(rows, score, index.tiebreak[cols], len(index))
    rows, cols, rel32, rel, score = rows[order], cols[order], rel32[order], rel[order], score[order]
    starts = np.searchsorted(rows, np.arange(len(profiles) + 1))
    keep = np.arange(len(rows)) - starts[rows] < limits[rows]
    rows, cols, rel32, rel, score = rows[keep], cols[keep], rel32[keep], rel[keep], score[keep]
    slots, concepts = slot_table(flat, shapes, width)
    # result x interest: that interest matched the paper (the padding, concept `width`, never)
    hit = index.book.is_match(concepts[rows] * max(len(index), 1) + cols[:, None])
    made = tuple(index.explainer.results(slots, rows, hit, cols, rel32, rel, score))
    bounds = np.searchsorted(rows, np.arange(len(profiles) + 1)).tolist()
    return list(map(made.__getitem__, map(slice, bounds[:-1], bounds[1:])))  # (C loops)


def _top_candidates(
    indptr: np.ndarray,
    cols: np.ndarray,
    relevance: np.ndarray,
    factor: np.ndarray,
    ok: np.ndarray,
    k: int,
    n: int,
) -> np.ndarray:
    """Which of the matched (row, paper) pairs may be in their row's top k (the largest
    limit), ties included; the pairs are grouped by row (`indptr` and `cols`, as CSR),
    `factor` is each pair's trending factor, `n` the papers per row.

    The papers are dealt into groups (paper j to group j % groups, at least k groups); a
    row's k-th best group maximum is at most its k-th best score (those k maxima are k
    distinct papers), and about it, as a row's best papers mostly fall in different groups.
    Everything within a relative 1e-5 of it is kept (a float32 bound), so the exact ordering
    afterwards sees every paper of the top k and every tie.
    """
    score = relevance * factor
    np.multiply(score, ok, out=score)  # not a candidate: 0 (a candidate scores at least 1)
    floor = np.float32(1e-9)
    if not 0 < k < n or not len(cols):
        return score >= floor
    groups = max(k, n // TOP_GROUP)
    size = -(-n // groups)  # papers per group (zeros past the last paper fill the last round)
    # the dense rows made by scipy's C loop (faster than a fancy-indexed assignment)
    dense = sparse.csr_matrix((score, cols, indptr), shape=(len(indptr) - 1, size * groups))
    maxima = dense.toarray().reshape(-1, size, groups).max(axis=1)
    maxima.sort(axis=1)  # (a vectorised sort beats partition here)
    threshold = np.maximum(maxima[:, groups - k] * np.float32(1 - 1e-5), floor)
    return score >= np.repeat(threshold, np.diff(indptr))


def _entries(indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The positions of the given rows' entries in a CSR matrix's arrays, row after row."""
    sizes = indptr[rows + 1] - indptr[rows]
    total = int(sizes.sum())
    return np.repeat(indptr[rows] - (np.cumsum(sizes) - sizes), sizes) + np.arange(
        total, dtype=np.int64
    )


def _order(rows: np.ndarray, score: np.ndarray, tiebreak: np.ndarray, n: int) -> np.ndarray:
    """Order of results: by profile, then score (to 1e-6) desc, then column order (newer, id)."""
    rank = np.rint(score * 1e6).astype(np.int64) * n + tiebreak.astype(np.int64)
    top = int(rank.max(initial=0)) + 1
    if len(rows) and (int(rows[-1]) + 1) * top < 2**62:  # one int64 sort key (fast)
        return np.argsort(rows.astype(np.int64) * top + (top - 1 - rank), kind="stable")
    return np.lexsort((-rank, rows))


def _blocked(
    index: RankIndex,
    profiles: Sequence[Profile],
    excluded: sparse.csr_matrix | None,
    phrase: sparse.csr_matrix,
) -> np.ndarray | None:
    """Papers that are not candidates: excluded by a term, too old, or already sent."""
    blocked: np.ndarray | None = None
    if excluded is not None:  # few profiles exclude anything: only their rows are computed
        rows = np.flatnonzero(np.diff(excluded.indptr))
        blocked = np.zeros((len(profiles), len(index)), dtype=bool)
        blocked[rows] = (excluded[rows] @ phrase).toarray() > 0
    timed = having(profiles, SINCE_OF)  # a datetime is always true
    sent = having(profiles, SENT_OF)
    needs = timed or sent or any(map(LIKED_OF, profiles)) or any(map(DISLIKED_OF, profiles))
    if needs and blocked is None:
        blocked = np.zeros((len(profiles), len(index)), dtype=bool)
    if blocked is None:
        return None
    if timed:
        since = np.array([_ts(profiles[i]) for i in timed], dtype=np.float64)
        with np.errstate(invalid="ignore"):  # a paper never seen (NaN) is not after `since`
            blocked[timed] |= ~(index.first_seen[None, :] > since[:, None])
    for i in sent:
        cols = [j for j in map(index.ids.get, profiles[i].already_sent) if j is not None]
        blocked[i, cols] = True
    return blocked


def _ts(profile: Profile) -> float:
    return profile.since.timestamp() if profile.since is not None else np.nan
