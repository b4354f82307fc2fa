"""Paper sources: one module per source, each taking an injected httpx.Client."""

from digest.sources.errors import SourceError

__all__ = ["SourceError"]
