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
    parts: dict[str, dict[str, int]] = field(default_factory=dict)  # the counts per source

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"counts": self.counts}
        if self.parts:
            out["sources"] = self.parts
        return out | {"errors": list(self.errors), "items": list(self.items)}

    @property
    def ok(self) -> bool:
        return not self.errors

    def line(self) -> str:
        counts = " ".join(f"{k}={v}" for k, v in self.counts.items())
        tail = f" errors={len(self.errors)}" if self.errors else ""
        each = "".join(
            f" [{name}: {' '.join(f'{k}={v}' for k, v in part.items())}]"
            for name, part in self.parts.items()
            if len(self.parts) > 1
        )
        return f"{self.kind}: {counts}{tail}{each}"
