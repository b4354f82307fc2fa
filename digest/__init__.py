"""digest: the new trending research papers that match your interests, by email, once a day."""

from pathlib import Path

__version__ = "0.1.0"


def shipped(folder: str) -> Path:
    """A folder that ships with digest (`templates` or `migrations`): inside the installed
    package in a wheel (the build maps the repository's top-level folders there), beside the
    package in a checkout or an editable install."""
    here = Path(__file__).resolve().parent
    inside = here / folder
    return inside if inside.is_dir() else here.parent / folder
