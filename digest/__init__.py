"""digest: the new trending research papers that match your interests, by email, once a day."""

__version__ = "0.1.0"
