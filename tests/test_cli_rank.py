import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from digest import store
from digest.cli import cli
from digest.cli.app import App
from digest.config import Settings
from digest.store.engine import session_scope
from tests.factories import listed

NEWEST = date(2026, 3, 4)


@pytest.fixture
def run(sqlite_engine, now):
    papers = [
        listed(
            "2603.00001",
            title="Out-of-Distribution detection with energy scores",
            abstract="We detect OOD inputs.",
            upvotes=12,
            listing_day=NEWEST,
        ),
        listed(
            "2603.00002",
            title="Knowledge distillation for small students",
            abstract="A teacher helps (KD).",
            upvotes=3,
            listing_day=NEWEST - timedelta(days=2),
        ),
        listed(
            "2602.00003",
            title="Old OOD benchmark",
            abstract="An out-of-distribution benchmark.",
            upvotes=40,
            listing_day=NEWEST - timedelta(days=20),
        ),
        listed("2603.00004", title="Robots that walk", abstract="Legged robots.", upvotes=900),
    ]
    with session_scope(sqlite_engine) as session:
        store.insert_papers(session, papers=papers, now=now)
    settings = Settings(database_url=str(sqlite_engine.url))

    def invoke(*args: str):
        app = App(settings_factory=lambda: settings, clock=lambda: now)
        return CliRunner().invoke(cli, list(args), obj=app, catch_exceptions=False)

    return invoke


def test_json_best_first_with_reasons(run):
    result = run("rank", "--keywords", "OOD, KD", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {r["id"] for r in rows} == {"2603.00001", "2603.00002"}
    assert rows[0]["score"] >= rows[1]["score"]
    top = next(r for r in rows if r["id"] == "2603.00001")
    assert top["title"].startswith("Out-of-Distribution")
    assert top["matched"] == ["OOD"]
    assert top["where"] == {"OOD": ["title", "abstract"]}
    assert top["terms"]["OOD"] == ["Out-of-Distribution", "OOD"]
    assert [(h["field"], h["text"]) for h in top["highlights"]] == [
        ("title", "Out-of-Distribution"),
        ("abstract", "OOD"),
    ]
    assert top["upvotes"] == 12


def test_all_and_since_widen_the_window(run):
    everything = json.loads(run("rank", "--keywords", "OOD", "--all", "--json").output)
    assert {r["id"] for r in everything} == {"2603.00001", "2602.00003"}
    since = run("rank", "--keywords", "OOD", "--since", "2026-03-04", "--json")
    assert [r["id"] for r in json.loads(since.output)] == ["2603.00001"]


def test_exclude_and_top(run):
    result = run("rank", "--keywords", "OOD", "--exclude", "energy", "--all", "--json")
    assert [r["id"] for r in json.loads(result.output)] == ["2602.00003"]
    result = run("rank", "--keywords", "OOD", "--all", "--top", "1", "--json")
    assert len(json.loads(result.output)) == 1


def test_table_says_why(run):
    result = run("rank", "--keywords", "knowledge distillation")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["#", "id", "score", "upvotes", "title", "why"]
    assert "2603.00002" in lines[1]
    assert "knowledge distillation (title+abstract)" in lines[1]
    assert lines[-1] == "1 of 3 papers (listed since 2026-02-26)"


def test_near_lists_what_missed_and_why_below_the_ranked_papers(run):
    result = run("rank", "--keywords", "energy distillation", "--all", "--near", "5")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("no paper matches among 4")
    missed = result.output.split("near misses (never sent", 1)[1]
    assert "2603.00001" in missed and "energy distillation: energy" in missed
    assert "2603.00002" in missed and "energy distillation: distillation" in missed
    rows = json.loads(
        run("rank", "--keywords", "OOD, distillation", "--near", "5", "--json").output
    )
    assert sorted((r["id"], r["near"]) for r in rows) == [
        ("2603.00001", False),
        ("2603.00002", False),
    ]  # everything in the window that holds the words qualified: no near miss
    rows = json.loads(
        run("rank", "--keywords", "OOD, distillation", "--top", "1", "--near", "5", "--json").output
    )
    assert [r["near"] for r in rows] == [False]  # the other one qualifies, below --top
    rows = json.loads(run("rank", "--keywords", "teacher students", "--near", "3", "--json").output)
    assert rows == [
        {
            "id": "2603.00002",
            "title": "Knowledge distillation for small students",
            "near": True,
            "near_score": rows[0]["near_score"],
            "listing_day": "2026-03-02",
            "found": {"teacher students": ["students", "teacher"]},
        }
    ]
    assert rows[0]["near_score"] > 0


def test_no_match_says_so(run):
    result = run("rank", "--keywords", "normalizing flows")
    assert result.exit_code == 0
    assert result.output.startswith("no paper matches among 3")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--keywords", "x^abc"], "a weight is written term^2"),
        (["--keywords", "-survey"], "at least one interest"),
        (["--keywords", "OOD", "--all", "--since", "2026-01-01"], "cannot be combined"),
        (["--keywords", "OOD", "--top", "0"], "--top must be between 1"),
        (["--keywords", "OOD", "--near", "101"], "--near must be between 0 and 100"),
        (["--keywords", "OOD", "--since", "March"], "is not a date"),
    ],
)
def test_bad_input_exits_2_with_one_line(run, args, message):
    result = run("rank", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_empty_store(tmp_path, now):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    app = App(settings_factory=lambda: settings, clock=lambda: now)
    assert CliRunner().invoke(cli, ["init"], obj=app).exit_code == 0
    result = CliRunner().invoke(cli, ["rank", "--keywords", "OOD", "--json"], obj=app)
    assert result.exit_code == 0
    assert json.loads(result.output) == []


def test_feedback_for_groups_votes_by_subscriber(engine, now):
    from digest.store.tables import Feedback, Subscriber

    with session_scope(engine) as session:
        for email in ("a@example.org", "b@example.org"):
            session.add(Subscriber(email=email, created_at=now, updated_at=now))
        session.flush()
        session.add_all(
            [
                Feedback(subscriber_id=1, paper_id="p1", vote=1, created_at=now),
                Feedback(subscriber_id=1, paper_id="p2", vote=-1, created_at=now),
                Feedback(subscriber_id=1, paper_id="p0", vote=1, created_at=now - timedelta(1)),
                Feedback(subscriber_id=2, paper_id="p3", vote=-1, created_at=now),
            ]
        )
    with session_scope(engine) as session:
        got = store.feedback_for(session, subscriber_ids=[1, 2, 3])
    assert got == {1: (("p0", "p1"), ("p2",)), 2: ((), ("p3",))}


def test_acronyms_learned_from_stored_papers_are_used(sqlite_engine, now):
    papers = [
        listed("2603.00011", title="Sparse xylophone yield zones", abstract="We study them."),
        listed(
            "2603.00012",
            title="Other",
            abstract="Sparse xylophone yield zones (SXYZ) help. SXYZ are cheap.",
        ),
        *(listed(f"2603.{n:05d}", title=f"Topic {n} in graphs") for n in range(100, 130)),
    ]
    with session_scope(sqlite_engine) as session:
        store.insert_papers(session, papers=papers, now=now)
    app = App(
        settings_factory=lambda: Settings(database_url=str(sqlite_engine.url)), clock=lambda: now
    )
    result = CliRunner().invoke(cli, ["rank", "--keywords", "SXYZ", "--json"], obj=app)
    assert {r["id"] for r in json.loads(result.output)} == {"2603.00011", "2603.00012"}


def test_rank_notes_a_broad_interest_on_stderr(sqlite_engine, now):
    papers = [listed(f"2603.{n:05d}", title=f"LLM study {n}") for n in range(1, 11)]
    papers += [listed(f"2603.{n:05d}", title=f"Topic {n} in graphs") for n in range(100, 130)]
    with session_scope(sqlite_engine) as session:
        store.insert_papers(session, papers=papers, now=now)
    app = App(
        settings_factory=lambda: Settings(database_url=str(sqlite_engine.url)), clock=lambda: now
    )
    result = CliRunner().invoke(cli, ["rank", "--keywords", "LLM, graphs", "--all"], obj=app)
    assert result.exit_code == 0, result.output
    assert "note: Very broad:" in result.stderr and "LLM (25%" in result.stderr
    assert "graphs" in result.stderr  # 30 of 40 papers: also broad


def test_rank_notes_an_acronym_of_several_meanings(sqlite_engine, now):
    papers = [listed(f"2603.{n:05d}", title=f"Masked language models, part {n}") for n in range(3)]
    with session_scope(sqlite_engine) as session:
        store.insert_papers(session, papers=papers, now=now)
        store.save_acronyms(
            session,
            counts={("MLM", "masked language model"): 3, ("MLM", "multimodal language model"): 2},
            now=now,
        )
    app = App(
        settings_factory=lambda: Settings(database_url=str(sqlite_engine.url)), clock=lambda: now
    )
    result = CliRunner().invoke(cli, ["rank", "--keywords", "MLM", "--all"], obj=app)
    assert result.exit_code == 0, result.output
    assert "note: More than one meaning in papers: MLM is masked language model or " in (
        result.stderr
    )
    assert "2603.00001" in result.stdout


def test_rank_notes_an_interest_that_matches_nothing(sqlite_engine, now):
    papers = [listed(f"2603.{n:05d}", title=f"Robots that walk, part {n}") for n in range(100, 125)]
    papers += [
        listed(f"2603.{n:05d}", title=f"Graph neural networks for molecules {n}") for n in range(5)
    ]
    with session_scope(sqlite_engine) as session:
        store.insert_papers(session, papers=papers, now=now)
    app = App(
        settings_factory=lambda: Settings(database_url=str(sqlite_engine.url)), clock=lambda: now
    )
    runner = CliRunner()
    keywords = "graph neural networks, tool-augmented LMs"
    result = runner.invoke(cli, ["rank", "--keywords", keywords], obj=app)
    assert result.exit_code == 0, result.output
    assert "note: No match among these 30 papers for tool-augmented LMs:" in result.stderr
    alone = runner.invoke(cli, ["rank", "--keywords", "tool-augmented LMs"], obj=app)
    assert alone.exit_code == 0 and "No match among" not in alone.stderr
    assert "no paper matches among 30" in alone.output and "--near 5" in alone.output
