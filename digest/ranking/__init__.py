"""Ranking (pure: values in, values out): interests -> concepts -> scores -> ranked papers
with their reasons, for many subscribers at once.

The interest language is parsed by `interests`; `concepts` and `matching` find an interest in
a paper; `index` holds a set of papers' statistics; `scoring` scores profiles in sparse
batches; `explanations` says why each paper was picked; `ranker` composes them; `near` lists
the papers that hold an interest's words without qualifying.
"""

from digest.ranking.acronyms import learn_acronyms, select_expansions
from digest.ranking.breadth import (
    Notes,
    ambiguous_interests,
    ambiguous_note,
    breadth_notes,
    broad_interests,
    broad_note,
    quiet_interests,
    quiet_note,
)
from digest.ranking.index import MIN_RELEVANCE, RankIndex
from digest.ranking.interests import InterestError, validate_interests
from digest.ranking.near import NearMiss, near_misses
from digest.ranking.ranker import build_index, iter_ranked, rank_papers, rank_profiles
from digest.ranking.types import Match, Profile, ScoredPaper, Span

__all__ = [
    "MIN_RELEVANCE",
    "InterestError",
    "Match",
    "NearMiss",
    "Notes",
    "Profile",
    "RankIndex",
    "ScoredPaper",
    "Span",
    "ambiguous_interests",
    "ambiguous_note",
    "breadth_notes",
    "broad_interests",
    "broad_note",
    "build_index",
    "iter_ranked",
    "learn_acronyms",
    "near_misses",
    "quiet_interests",
    "quiet_note",
    "rank_papers",
    "rank_profiles",
    "select_expansions",
    "validate_interests",
]
