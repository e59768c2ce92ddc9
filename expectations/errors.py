"""Errors of the data-quality room."""

from __future__ import annotations

from cxpulse.errors import CxpulseError

__all__ = ["SuiteError"]


class SuiteError(CxpulseError):
    """A suite file is malformed, names an unknown expectation, or a placeholder with no setting behind it."""
