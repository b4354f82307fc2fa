"""Feedback (pure): "more like this" pulls similar papers up, "not for me" pushes them down.

Similarity is the cosine of TF-IDF vectors of stems (title words counted double), so a paper
about the same thing as a liked one rises even when it shares none of the keywords.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    from digest.ranking.index import RankIndex

LIKE_WEIGHT = 2.0  # relevance added at similarity 1 to a liked paper
DISLIKE_WEIGHT = 3.0  # relevance removed at similarity 1 to a disliked paper


def paper_vectors(index: RankIndex) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows, one per indexed paper (built once per index)."""
    if index.vectors is not None:
        return index.vectors
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    n = len(index)
    for col, (_key, postings) in enumerate(index.text.postings.items()):
        idf = float(np.log((1 + n) / (1 + len(postings)))) + 1.0
        for paper, occ in postings.items():
            tf = sum(2.0 if f == 0 else 1.0 for f, _, k in occ if k == 1)
            if tf:
                rows.append(paper)
                cols.append(col)
                vals.append((1.0 + np.log(tf)) * idf)
    m = sparse.csr_matrix((vals, (rows, cols)), shape=(n, max(len(index.text.postings), 1)))
    lengths = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    lengths[lengths == 0] = 1.0
    index.vectors = sparse.csr_matrix(sparse.diags(1.0 / lengths) @ m)
    return index.vectors


def feedback_adjustment(
    index: RankIndex, liked: Sequence[str], disliked: Sequence[str], blocked: np.ndarray
) -> np.ndarray:
    """Relevance to add per paper; disliked papers themselves are marked in `blocked`."""
    adjust = np.zeros(len(index))
    vectors = paper_vectors(index)
    if index.vectors_t is None:  # the product needs it as CSR: converted once, not per call
        index.vectors_t = sparse.csr_matrix(vectors.T)
    for ids, sign, weight in ((liked, 1.0, LIKE_WEIGHT), (disliked, -1.0, DISLIKE_WEIGHT)):
        cols = [index.ids[i] for i in ids if i in index.ids]
        if not cols:
            continue
        sims = np.asarray((vectors[cols] @ index.vectors_t).max(axis=0).todense()).ravel()
        adjust += sign * weight * sims
    for pid in disliked:
        j = index.ids.get(pid)
        if j is not None:
            blocked[j] = True
    return adjust
