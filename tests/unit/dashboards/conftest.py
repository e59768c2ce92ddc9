"""Dashboard unit tests run pages through Streamlit's AppTest, which runs each page as ``__main__``."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def keep_main_module() -> Iterator[None]:
    """Put pytest's ``__main__`` back after each test.

    AppTest leaves the last page it ran in ``sys.modules["__main__"]``; a process pool started later in the same
    session (the redaction pool's tests) re-runs ``__main__`` in every child it spawns, i.e. that dashboard page,
    which needs ClickHouse: the children died and the pool broke, depending only on test order.
    """
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main
