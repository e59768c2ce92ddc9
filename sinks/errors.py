"""Errors of the sink room."""

from cxpulse.errors import CxpulseError

__all__ = ["MigrationError", "SinkBackpressure"]


class SinkBackpressure(CxpulseError):
    """ClickHouse did not take a batch after the configured retries; the caller must hold offsets.

    :param retry_after: seconds the caller should wait before trying the same batch again.
    """

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MigrationError(CxpulseError):
    """A migration file failed to apply."""
