class SourceError(RuntimeError):
    """A listing could not be fetched or read; the message names the date and the problem."""
