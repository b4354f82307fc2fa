"""`digest subscribe`, `digest unsubscribe`, `digest subscribers list|import`."""

from __future__ import annotations

from pathlib import Path

import click

from digest import store
from digest.cli.app import App, BadInput, Failed, echo_json, echo_table, input_errors, pass_app
from digest.store.engine import session_scope
from digest.subscribers import lifecycle
from digest.subscribers.inputs import InputError, check_csv, make_input, normalize_email

INTERESTS_HELP = """Interests, comma-separated. "a quoted phrase" must match as a phrase;
a + b needs both in one paper; -term excludes papers mentioning it; term^2 weighs it double."""


def _defaults(app: App) -> dict[str, object]:
    s = app.settings
    return lifecycle.subscriber_defaults(s.send_at, s.timezone, s.max_papers)


@click.command("subscribe")
@click.argument("email")
@click.option("--keywords", required=True, help=INTERESTS_HELP)
@click.option("--exclude", default="", help="Comma-separated terms that remove a paper.")
@click.option("--send-at", help="Local time of day to send, HH:MM (default DIGEST_SEND_AT).")
@click.option("--tz", help="Time zone as Area/City (default DIGEST_TIMEZONE).")
@click.option("--max-papers", help="Papers per digest, 1-18 (default DIGEST_MAX_PAPERS).")
@click.option(
    "--frequency",
    type=click.Choice(["daily", "weekly", "paused"]),
    help="How often to send (default daily).",
)
@pass_app
@input_errors
def subscribe(
    app: App,
    email: str,
    keywords: str,
    exclude: str,
    send_at: str | None,
    tz: str | None,
    max_papers: str | None,
    frequency: str | None,
) -> None:
    """Add a subscriber, or update one that exists (they become active).

    \b
    Interest syntax (comma-separated):
      OOD, knowledge distillation      two interests; acronyms and expansions both match
      "diffusion language models"      quoted: must appear as that phrase
      diffusion language models        the phrase, or all its words close together (not one alone)
      machine unlearning               also its well-known other names ("unlearning")
      quantization + LLM               both parts must match the same paper
      author:"Ada Lovelace", cat:cs.CL  papers by an author, in an arXiv category
      diffusion^2, RLHF                ^2 ranks diffusion papers above RLHF ones (weight 0-10)
      LLM, -survey                     -term: drop papers that mention "survey" (as --exclude)

    \b
    Matching ignores case and word endings (network/networks, distill/distillation),
    hyphens and spacing (out-of-distribution = out of distribution, pre-training =
    pretraining) and knows acronyms both ways (OOD, KD, RLHF, LLM, ...), including the ones
    learned from stored abstracts ("long form (LF)"). Title matches count more than abstract
    ones; each interest adds its own score, so one strong match is never averaged away; a
    paper with no real match is never sent, however popular. Try keywords first with
    `digest rank --keywords "..."`.

    \b
    Examples:
      digest subscribe ada@example.org --keywords "OOD, diffusion" --send-at 07:30 --tz Europe/Paris
      digest subscribe bob@example.org --keywords '"normalizing flows", RLHF^2' --exclude survey
    """
    value = make_input(email, keywords, exclude, send_at, tz, max_papers, frequency)
    report = lifecycle.subscribe(app.engine, value=value, now=app.now(), defaults=_defaults(app))
    item = report.items[0]
    verb = "added" if report.counts["created"] else "updated"
    click.echo(
        f"{verb} {item['email']}: {item['keywords']} "
        f"(at {item['send_at']} {item['tz']}, up to {item['max_papers']} papers)"
    )


@click.command("unsubscribe")
@click.argument("email")
@pass_app
@input_errors
def unsubscribe(app: App, email: str) -> None:
    """Stop sending to EMAIL; the record is kept as unsubscribed.

    \b
    Example:
      digest unsubscribe ada@example.org
    """
    address = normalize_email(email)
    with session_scope(app.engine) as session:
        sub = store.get_subscriber(session, email=address)
        if sub is None:
            raise BadInput(f"no subscriber {address}")
        lifecycle.unsubscribe(session, sub=sub, now=app.now())
    click.echo(f"unsubscribed {address}")


@click.group("subscribers")
def subscribers() -> None:
    """List, import or revoke the links of subscribers."""


@subscribers.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option(
    "--status",
    multiple=True,
    type=click.Choice(["active", "pending", "unsubscribed", "suppressed"]),
    help="Only these statuses (repeatable).",
)
@pass_app
def list_subscribers(app: App, as_json: bool, status: tuple[str, ...]) -> None:
    """List subscribers; for a suppressed one (or one a complaint unsubscribed), why.

    \b
    Examples:
      digest subscribers list
      digest subscribers list --status active --json
    """
    rows = []
    with session_scope(app.engine) as session:
        for s in store.iter_subscribers(session, statuses=status or None):
            rows.append(
                {
                    "email": s.email,
                    "status": s.status,
                    "keywords": s.keywords,
                    "exclude": s.exclude,
                    "send_at": s.send_at,
                    "tz": s.timezone,
                    "max_papers": s.max_papers,
                    "frequency": s.frequency,
                    "reason": s.status_reason,  # why suppressed, or unsubscribed by complaint
                }
            )
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no subscribers yet: add one with `digest subscribe EMAIL --keywords ...`")
        return
    headers = ["email", "status", "keywords", "exclude", "send_at", "tz", "max_papers"]
    if any(r["reason"] for r in rows):  # why some were suppressed or unsubscribed
        headers.append("reason")
    echo_table(headers, [[r[h] for h in headers] for r in rows])


@subscribers.command("revoke")
@click.argument("email")
@pass_app
@input_errors
def revoke(app: App, email: str) -> None:
    """Invalidate every link ever sent to EMAIL: confirm, manage, unsubscribe, feedback,
    web copy and feed links (for a leaked or forwarded email). Their status stays as it is;
    the next email they get carries new links.

    \b
    Example:
      digest subscribers revoke ada@example.org
    """
    address = normalize_email(email)
    with session_scope(app.engine) as session:
        sub = store.get_subscriber(session, email=address)
        if sub is None:
            raise BadInput(f"no subscriber {address}")
        lifecycle.revoke(session, sub=sub, now=app.now())
    click.echo(f"revoked every link sent to {address}")


@subscribers.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
@input_errors
def import_subscribers(app: App, path: Path) -> None:
    """Add or update subscribers from a CSV file: every row, or none.

    The header is email,keywords[,exclude,send_at,tz]; separate keywords with `;`; one row
    per line (a quoted field may not span lines). Every row is checked first: if any is bad,
    each bad row is reported with its line number and nothing is imported (exit 2); fix
    them and import the file again. An address on several rows is reported, and its last
    row counts. Importing the same file again updates, never duplicates.

    \b
    Example file:
      email,keywords,exclude,send_at,tz
      ada@example.org,OOD;diffusion,survey,07:30,Europe/Paris
    \b
    Example:
      digest subscribers import people.csv
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path}: {exc}") from None
    checked = check_csv(text)
    for line, error in checked.bad:
        click.echo(f"{path}:{line}: {error}", err=True)
    for line, earlier, email in checked.duplicates:
        click.echo(f"{path}:{line}: {email} is also on line {earlier}; the last row counts",
                   err=True)  # fmt: skip
    if checked.bad:
        raise BadInput(
            f"{path}: {_rows(len(checked.bad), 'bad row')} of {checked.rows}; nothing imported "
            "(fix them and import the file again)"
        )
    try:
        report = lifecycle.import_subscribers(
            app.engine, values=checked.values, now=app.now(), defaults=_defaults(app)
        )
    except InputError:
        raise
    except Exception as exc:  # nothing was written: the import is one transaction
        raise Failed(f"import failed, nothing imported: {exc}") from None
    c = report.counts
    click.echo(
        f"imported {c['created']} new, updated {c['updated']}, "
        f"{_rows(len(checked.duplicates), 'duplicate row')} (the last row counts), 0 bad rows"
    )


def _rows(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"
