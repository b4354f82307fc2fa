"""Where templates come from: the shipped ones (top-level templates/ in a checkout, inside the
package once installed), each overridable file by file from DIGEST_TEMPLATES_DIR, so an
operator can brand the email and pages. Overrides are checked when they are loaded: a file
that does not compile is an error naming it, at start-up rather than at the first email."""

from __future__ import annotations

from pathlib import Path

import jinja2

from digest import shipped
from digest.config import ConfigError

SUFFIXES = (".j2", ".html")


def loader(kind: str, overrides: str | Path | None = None) -> jinja2.BaseLoader:
    """Templates of `kind` (`email` or `web`): the operator's first, then the shipped ones."""
    own = jinja2.FileSystemLoader(shipped("templates") / kind)
    if not overrides:
        return own
    return jinja2.ChoiceLoader([jinja2.FileSystemLoader(Path(overrides) / kind), own])


def check_overrides(
    overrides: str | Path | None, kind: str, environments: list[jinja2.Environment]
) -> None:
    """Parse every override of `kind` with each environment that will read it (an email's
    layout and its per-email stage have different delimiters)."""
    if not overrides:
        return
    folder = Path(overrides) / kind
    for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
        if not path.is_file() or not path.name.endswith(SUFFIXES):
            continue
        name = path.relative_to(folder).as_posix()
        for env in environments:
            if env is not environments[0] and not name.endswith(".mjml.j2"):
                continue  # only MJML files go through the layout stage
            try:
                env.parse(path.read_text(encoding="utf-8"), name, str(path))
            except jinja2.TemplateSyntaxError as exc:
                raise ConfigError(
                    f"DIGEST_TEMPLATES_DIR: {kind}/{name} does not compile: "
                    f"line {exc.lineno}: {exc.message}"
                ) from None
            except UnicodeDecodeError:
                raise ConfigError(f"DIGEST_TEMPLATES_DIR: {kind}/{name} is not UTF-8") from None
