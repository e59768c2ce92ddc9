"""What a restarted worker's main process must not wait for: the analyzer's imports and faust's start-up nap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cxpulse.settings import Settings
from streams.prompt_tables import PromptTableManager

pytestmark = pytest.mark.usefixtures("defaults_only_settings")

_REPO = Path(__file__).resolve().parents[3]


def test_the_worker_main_process_imports_no_analyzer() -> None:
    """Presidio and spaCy (≈ 2.5 s of imports) load in the redaction pool, not in the process that restarts."""
    probe = (
        "import sys, streams.app, streams.quality, sinks.migrate, cxpulse.worker; "
        "print(sorted(m for m in ('presidio_analyzer', 'spacy', 'great_expectations') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=_REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_app_uses_the_prompt_table_manager(tmp_path: Path) -> None:
    from streams.app import create_app

    settings = Settings(redaction={"processes": 1}, worker={"store": "memory://"}, stack={"state_dir": str(tmp_path)})
    app = create_app(settings)
    assert isinstance(app.tables, PromptTableManager)
    assert {"sla-state", "sla-windows"} <= set(app.tables)  # declared before the start: nothing left to wait for


def test_place_names_are_extracted_once_then_read_from_the_cache(tmp_path: Path) -> None:
    """The GeoNames extract (≈ 1 s of CPU per fork-server start) is kept beside the name gazetteer."""
    from streams.redact.recognizers import place_names as module

    module.place_names.cache_clear()
    try:
        extracted = module.place_names(tmp_path)
        (cached,) = tmp_path.glob("places-*.txt")
        assert frozenset(cached.read_text(encoding="utf-8").splitlines()) == extracted
        assert "wrocław" in extracted and "ikeja" in extracted
        cached.write_text("only-this-place", encoding="utf-8")
        module.place_names.cache_clear()
        assert module.place_names(tmp_path) == frozenset({"only-this-place"})  # read, not extracted again
    finally:
        module.place_names.cache_clear()
