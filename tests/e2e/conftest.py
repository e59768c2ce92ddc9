"""Browser tests: Debian's Chromium driven by Playwright (no browser download), skipped when absent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# The real stack and isolated deployments, shared with the integration tests.
from tests.integration.conftest import make_deployment, make_deployment_module, stack_settings  # noqa: E402,F401

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Screenshots land here so a person (or CI artefacts) can look at what the browser saw.
ARTIFACTS = Path(__file__).resolve().parents[2] / ".cxpulse" / "e2e"


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Module-scoped on purpose: Playwright's sync API runs an event loop in this thread while it is open,
    and any later ``asyncio.run`` in the same process would fail."""
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
