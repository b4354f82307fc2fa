"""RunReport: what a run did, in counts (every run returns one, logged as one line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunReport:
    """What a run did, in counts; logged as one line."""

    kind: str
    counts: dict[str, int] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    items: tuple[dict[str, Any], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def line(self) -> str:
        parts = " ".join(f"{k}={v}" for k, v in self.counts.items())
        tail = f" errors={len(self.errors)}" if self.errors else ""
        return f"{self.kind}: {parts}{tail}"
