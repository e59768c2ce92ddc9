"""The profile aggregator charges samples to the right stage and kind of work."""

from __future__ import annotations

from bench.profile_stages import Profile, classify, parse_collapsed, report

_AGENT = "redact (/work/main/streams/redact/agent.py:88)"
_SPACY = "__call__ (/venv/lib/python3.11/site-packages/spacy/language.py:1040)"
_JSON = "loads (/usr/lib/python3.11/json/__init__.py:346)"
_SINK = "flush (/work/main/sinks/agent.py:120)"
_CH = "insert (/venv/lib/python3.11/site-packages/clickhouse_connect/driver/client.py:600)"
_FAUST = "_drain (/venv/lib/python3.11/site-packages/faust/transport/consumer.py:900)"


def test_stage_is_the_outermost_stage_frame_and_kind_the_innermost_library() -> None:
    assert classify([_FAUST, _AGENT, _SPACY]) == ("redaction", "NER (spaCy, thinc)")
    assert classify([_AGENT, _JSON]) == ("redaction", "JSON + models")
    assert classify([_FAUST, _SINK, _CH]) == ("sinks", "ClickHouse client")
    assert classify([_FAUST]) == ("other (no stage frame)", "faust + mode runtime")


def test_collapsed_lines_become_frames_and_counts_without_process_frames() -> None:
    lines = [f"process 12:python -m cxpulse worker;{_AGENT};{_SPACY} 30\n", "\n", "garbage\n", f"{_SINK};{_CH} 10\n"]
    parsed = list(parse_collapsed(lines))
    assert parsed == [([_AGENT, _SPACY], 30), ([_SINK, _CH], 10)]


def test_report_turns_samples_into_cpu_seconds_per_thousand_events() -> None:
    profile = Profile(rate_hz=100.0)
    for frames, count in parse_collapsed([f"{_AGENT};{_SPACY} 300", f"{_SINK};{_CH} 100"]):
        profile.add(frames, count)
    text = report(profile, events=2000)
    assert "4.0 CPU-s for 2000 events = 2.000 CPU-s per 1,000 events" in text
    assert profile.stages["redaction"] == 300 and profile.kinds["ClickHouse client"] == 100
