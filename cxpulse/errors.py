"""The root of every cxpulse exception, so callers can catch ours without catching everything."""

__all__ = ["CxpulseError"]


class CxpulseError(Exception):
    """Base class of all errors raised by cxpulse code."""
