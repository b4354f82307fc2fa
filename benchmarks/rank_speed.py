"""Ranking speed: 100,000 subscribers x 1,000 papers, batched, against a rank-bm25 loop.

    python benchmarks/rank_speed.py [--subscribers N] [--papers N] [--sample N] [--rounds N]
        [--interests varied|topics|both] [--corpus PATH] [--plus | --no-plus]

Papers are the corpus (--corpus, by default shared/corpus/papers.json beside the
repository's checkout, 831 real papers), repeated under new ids up to --papers. Each
subscriber has 1-4 interests (benchmarks/interests.py): *varied* (the default) draws them
from thousands of phrases of the corpus titles and the topic list, Zipf-like, with weights,
quoted phrases, exclusions and `a + b` (--no-plus: none), as varied as real people's; *topics*
(the old behaviour) from a fixed list of ~150 research topics, so most subscribers share
interests; *both* runs each in a process of its own, then prints them side by side. The
run prints how many distinct interests and profiles it has. Memory: first a streamed pass
(iter_ranked, results dropped per block), then rank_profiles keeping every result (peak
RSS is the process maximum so far). The baseline is what one would write without
batching: rank-bm25's BM25Okapi built once over the same papers, then get_scores + top 10
per subscriber; it runs on --sample subscribers and is scaled up to the full count. Each
round times rank_profiles on a fresh index, then the loop on the next sample, and prints
their ratio; the median round is the result. Every result comes with its explanation (each
matched interest: where, words found, spans).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.interests import Interests, add_arguments, describe, load_corpus, make, modes
from digest.papers import PaperText
from digest.process import tune_for_batch_work
from digest.ranking.ranker import build_index, iter_ranked, rank_profiles
from digest.ranking.types import Profile

WORD = re.compile(r"\w+")


def papers(corpus: list[dict], n: int) -> list[PaperText]:
    out = []
    for i in range(n):
        p = corpus[i % len(corpus)]
        pid = p["id"] if i < len(corpus) else f"{p['id']}-r{i // len(corpus)}"
        out.append(PaperText(pid, p["title"], p["abstract"], upvotes=(i * 7919) % 120))
    return out


def subscribers(n: int, maker: Interests, seed: int = 7) -> list[Profile]:
    rng = random.Random(seed)
    return [Profile(i, maker.keywords(rng)) for i in range(n)]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = clock()
    return wall - start[0], cpu - start[1]


def ours(docs: list[PaperText], profiles: list[Profile]) -> tuple[tuple[float, float], list]:
    """(wall, CPU) seconds of rank_profiles over all profiles on a fresh index, and results."""
    index = build_index(docs)
    start = clock()
    results = rank_profiles(index, profiles)
    return since(start), results


def baseline(docs: list[PaperText], profiles: list[Profile]) -> tuple[float, float]:
    bm25 = BM25Okapi([WORD.findall(f"{p.title} {p.abstract}".lower()) for p in docs])
    start = clock()
    for profile in profiles:
        scores = bm25.get_scores(WORD.findall(profile.keywords.lower()))
        top = np.argsort(-scores)[: profile.max_papers]
        [docs[j].id for j in top if scores[j] > 0]
    return since(start)


def run(docs: list[PaperText], profiles: list[Profile], rounds: int, size: int) -> dict:
    """The streamed pass, a fresh build_index, then the alternating rounds; the median round."""
    start = clock()
    streamed = sum(len(r) for chunk in iter_ranked(build_index(docs), profiles) for r in chunk)
    took = since(start)
    print(
        f"streamed with iter_ranked (results dropped block by block): {took[0]:.2f} s wall "
        f"incl. build_index, {streamed:,} papers, peak RSS {peak_mb():.0f} MB"
    )
    start = clock()
    build_index(docs)
    print(f"build_index (fresh): {since(start)[0]:.2f} s, peak RSS {peak_mb():.0f} MB")
    # Rounds alternate ours and the loop (on a different sample each round), so a noisy
    # neighbour slows both alike; the median round is reported.
    measured = []
    for n in range(rounds):
        (wall, cpu), results = ours(docs, profiles)
        returned = sum(len(r) for r in results)
        del results
        sample = profiles[n * size : (n + 1) * size] or profiles[:size]
        scale = len(profiles) / len(sample)
        loop_wall, loop_cpu = (t * scale for t in baseline(docs, sample))
        measured.append((loop_wall / wall, loop_cpu / cpu, wall, cpu, loop_wall, loop_cpu))
        print(
            f"round {n + 1}: rank_profiles {wall:.2f} s wall, {cpu:.2f} s CPU, "
            f"{returned:,} papers returned, peak RSS {peak_mb():.0f} MB; "
            f"rank-bm25 loop {loop_wall:.1f} s wall, {loop_cpu:.1f} s CPU "
            f"({len(sample):,} run, scaled x{scale:.0f}); speed-up {measured[-1][0]:.0f}x wall"
        )
    mid = sorted(measured)[len(measured) // 2]
    print(f"speed-up (median round): {mid[0]:.0f}x wall, {mid[1]:.0f}x CPU")
    keys = ("ratio_wall", "ratio_cpu", "wall", "cpu", "loop_wall", "loop_cpu")
    return dict(zip(keys, mid, strict=True)) | {"rss_mb": peak_mb()}


def main() -> None:
    tune_for_batch_work()  # as digest send / worker / run do
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--papers", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--summary", action="store_true", help=argparse.SUPPRESS)
    add_arguments(parser)
    args = parser.parse_args()
    if args.interests == "both":
        both(args)
        return
    corpus = load_corpus(args.corpus)
    docs = papers(corpus, args.papers)
    maker = make(args.interests, args, [p["title"] for p in corpus])
    profiles = subscribers(args.subscribers, maker)
    print(
        f"== interests: {args.interests}{' (with + combinations)' if maker.plus else ''}: "
        f"{len(profiles):,} subscribers x {len(docs):,} papers; load average "
        f"{os.getloadavg()[0]:.1f} (2 cores shared); start RSS {peak_mb():.0f} MB"
    )
    print(describe([p.keywords for p in profiles]))
    result = run(docs, profiles, args.rounds, args.sample)
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} (2 cores shared)")
    if args.summary:
        print(SUMMARY + json.dumps(result))


SUMMARY = "summary: "


def both(args: argparse.Namespace) -> None:
    """Each mode in a process of its own (peak RSS, caches and the collector start afresh),
    varied first; then both side by side."""
    summary = {}
    for mode in modes("both"):
        argv = [sys.executable, __file__, *sys.argv[1:], "--interests", mode, "--summary"]
        done = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=True)
        lines = done.stdout.splitlines()
        print("\n".join(line for line in lines if not line.startswith(SUMMARY)) + "\n")
        summary[mode] = json.loads(lines[-1].removeprefix(SUMMARY))
    print("mode     ours wall   ours CPU   loop wall   loop CPU   speed-up   peak RSS")
    for mode, r in summary.items():
        print(
            f"{mode:<8} {r['wall']:8.2f} s {r['cpu']:8.2f} s {r['loop_wall']:9.1f} s "
            f"{r['loop_cpu']:8.1f} s {r['ratio_wall']:8.0f}x {r['rss_mb']:8.0f} MB"
        )
    varied, topics = summary["varied"], summary["topics"]
    print(
        f"varied / topics (median rounds): rank_profiles takes "
        f"{varied['wall'] / topics['wall']:.2f}x "
        f"the wall time, {varied['cpu'] / topics['cpu']:.2f}x the CPU"
    )


if __name__ == "__main__":
    main()
