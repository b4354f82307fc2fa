"""Ranking quality: nDCG@10 and P@10 of digest.rank against plain BM25 (rank-bm25).

    python benchmarks/rank_quality.py                 # the figures
    python benchmarks/rank_quality.py --pool OUT.txt  # unjudged candidates to grade

The labels (benchmarks/data/labels.json, ids and grades only) were made by reading the
title and abstract of every pooled candidate: the top 20 of both systems plus title greps,
shown sorted by id without saying which system found them. Grades: 2 = the paper is about
the interest, 1 = the interest is a substantial part of it, 0 = a passing mention or
unrelated. Unjudged papers count as 0; the run reports how many appear in a top 10.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

from rank_bm25 import BM25Okapi

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digest.papers import PaperText
from digest.ranking import Profile, build_index, rank_profiles
from digest.ranking.acronyms import learn_acronyms, select_expansions

CORPUS = Path("/work/shared/corpus/papers.json")
LABELS = Path(__file__).parent / "data" / "labels.json"
K = 10
WORD = re.compile(r"\w+")

# profile -> a title grep that finds likely relevant papers for the judging pool
PROFILES: dict[str, str] = {
    "OOD": r"out.of.distribution|\bOOD|\bOoD",
    "KD, LLM": r"distill",
    "diffusion language models": r"diffusion",
    "RLHF": r"RLHF|human feedback|reward model",
    "normalizing flows": r"flow",
    "MoE": r"mixture.of.experts|\bMoE|experts",
    "RAG": r"retriev|\bRAG\b",
    "ICL": r"in.context|\bICL\b",
    "CoT reasoning": r"chain.of.thought|\bCoT|reasoning",
    "PEFT, LoRA": r"LoRA|low.rank|parameter.efficient|adapter|PEFT",
    "DPO": r"\bDPO|preference optimi",
    "LLM quantization": r"quantiz|low.bit|\bbit\b",
    "VLM hallucination": r"hallucinat",
    "speech LMs": r"speech|spoken|audio",
    "NMT": r"translation|\bNMT\b|\bMT\b",
    "long context": r"long.context|context window|extrapolat|long sequence",
    "tokenizer": r"tokeni[sz]",
    "jailbreak, LLM safety": r"jailbreak|safety|safe|harmful|red.team",
    "code LLMs": r"\bcode|program",
}


def load_corpus() -> list[dict[str, str]]:
    return json.loads(CORPUS.read_text(encoding="utf-8"))


def ours(corpus: list[dict[str, str]], depth: int = K) -> dict[str, list[str]]:
    papers = [PaperText(p["id"], p["title"], p["abstract"]) for p in corpus]
    learned = select_expansions(learn_acronyms(f"{p['title']}\n{p['abstract']}" for p in corpus))
    index = build_index(papers, learned)
    profiles = [Profile(kw, kw, max_papers=depth) for kw in PROFILES]
    results = rank_profiles(index, profiles)
    return {kw: [r.paper_id for r in res] for kw, res in zip(PROFILES, results, strict=True)}


def bm25(corpus: list[dict[str, str]], depth: int = K) -> dict[str, list[str]]:
    docs = [WORD.findall(f"{p['title']} {p['abstract']}".lower()) for p in corpus]
    model = BM25Okapi(docs)
    out = {}
    for kw in PROFILES:
        scores = model.get_scores(WORD.findall(kw.lower()))
        order = sorted(range(len(corpus)), key=lambda i: (-scores[i], corpus[i]["id"]))
        out[kw] = [corpus[i]["id"] for i in order[:depth] if scores[i] > 0]
    return out


def ndcg(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    dcg = sum((2 ** grades.get(pid, 0) - 1) / math.log2(i + 2) for i, pid in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def precision(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    return sum(1 for pid in ranked[:k] if grades.get(pid, 0) > 0) / k


def write_pool(corpus: list[dict[str, str]], labels: dict[str, dict[str, int]], out: Path) -> None:
    """Unjudged candidates per profile, sorted by id, without saying who found them."""
    a, b = ours(corpus, 20), bm25(corpus, 20)
    by_id = {p["id"]: p for p in corpus}
    lines = []
    for kw, grep in PROFILES.items():
        found = {p["id"] for p in corpus if re.search(grep, p["title"], re.I)}
        pool = (set(a[kw]) | set(b[kw]) | found) - set(labels.get(kw, {}))
        lines.append(f"### {kw}  ({len(pool)} to judge)")
        for pid in sorted(pool):
            p = by_id[pid]
            lines.append(f"{pid} | {p['title']} | {p['abstract'][:400]}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def report(corpus: list[dict[str, str]], labels: dict[str, dict[str, int]]) -> None:
    a, b = ours(corpus), bm25(corpus)
    rows = []
    print(f"{'profile':28} {'ours nDCG':>9} {'bm25 nDCG':>9} {'ours P':>7} {'bm25 P':>7} unjudged")
    for kw in PROFILES:
        g = labels.get(kw, {})
        unjudged = sum(1 for pid in a[kw] + b[kw] if pid not in g)
        row = (ndcg(a[kw], g), ndcg(b[kw], g), precision(a[kw], g), precision(b[kw], g))
        rows.append(row)
        print(f"{kw:28} {row[0]:9.3f} {row[1]:9.3f} {row[2]:7.2f} {row[3]:7.2f} {unjudged:8}")
    means = [sum(r[i] for r in rows) / len(rows) for i in range(4)]
    print(f"{'MEAN':28} {means[0]:9.3f} {means[1]:9.3f} {means[2]:7.2f} {means[3]:7.2f}")
    worst = min(r[0] - r[1] for r in rows)
    print(f"gain in mean nDCG@10: {means[0] - means[1]:+.3f}; worst profile gap: {worst:+.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=Path, help="write unjudged candidates to this file")
    args = parser.parse_args()
    corpus = load_corpus()
    labels = json.loads(LABELS.read_text())["grades"] if LABELS.exists() else {}
    if args.pool:
        write_pool(corpus, labels, args.pool)
    else:
        report(corpus, labels)


if __name__ == "__main__":
    main()
