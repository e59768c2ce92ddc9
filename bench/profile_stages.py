"""Where the worker's CPU goes, per stage and per kind of work, in CPU-seconds per 1,000 events.

Input: py-spy's raw (collapsed) output of a worker and its redaction pool, recorded while a known number of events
went through the pipeline::

    py-spy record --subprocesses --rate 100 --format raw -o worker.txt --pid <worker pid> --duration 60
    python -m bench.profile_stages worker.txt --events 30000 --rate 100

Each sample is one stack of one thread at one instant (py-spy leaves idle threads out), so ``samples / rate`` is
CPU-seconds. A sample is charged to a **stage** by the cxpulse module nearest the top of its stack that belongs to
a stage (so the JSON decode the redaction agent calls is the redaction stage's), and to a **kind of work** by the
most specific library frame (the leaf side: spaCy inside Presidio is "NER", not "Presidio glue"). The tables say
which stage to attack and whether its cost is the work itself or the plumbing around it (decode, models, faust,
the Kafka client).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["KINDS", "STAGES", "Profile", "classify", "parse_collapsed"]

#: ``(stage, path fragments)``: the first rule, checked from the outermost frame inwards, names the stage.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ingest", ("streams/ingest.py", "streams/signatures.py", "schemas/twilio.py")),
    ("redaction", ("streams/redact/",)),
    ("data quality", ("streams/quality.py", "expectations/")),
    ("sla", ("streams/sla/",)),
    ("qa", ("streams/qa.py", "streams/qa_policy.py")),
    ("sinks", ("sinks/",)),
)
#: ``(kind, path fragments)``: checked from the innermost frame outwards; the first match names the kind.
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("NER (spaCy, thinc)", ("/spacy/", "/thinc/", "/blis/", "/srsly/")),
    ("regex recognisers", ("/regex/", "/re/", "/sre_", "/phonenumbers/")),
    ("Presidio glue", ("/presidio_analyzer/", "/presidio_anonymizer/")),
    ("Great Expectations + pandas", ("/great_expectations/", "/pandas/", "/numpy/")),
    ("JSON + models", ("/json/", "/orjson/", "/pydantic/", "/pydantic_core/", "/schemas/events.py")),
    ("ClickHouse client", ("/clickhouse_connect/",)),
    ("Kafka client", ("/aiokafka/", "/kafka/", "/confluent_kafka/")),
    ("faust + mode runtime", ("/faust/", "/mode/", "/venusian/")),
    ("event loop + aiohttp", ("/asyncio/", "/aiohttp/", "/yarl/", "/multidict/", "/selectors.py")),
    ("multiprocessing (pool IPC)", ("/multiprocessing/", "/concurrent/futures/", "/pickle.py", "/copyreg.py")),
    ("HTTP client (urllib3)", ("/urllib3/", "/http/client.py", "/socket.py", "/ssl.py")),
    ("cxpulse code", ("/streams/", "/sinks/", "/expectations/", "/schemas/", "/cxpulse/")),
)
_UNATTRIBUTED = "other (no stage frame)"
_OTHER_KIND = "other"
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]*)(?::\d+)?\)$")


@dataclass
class Profile:
    """Samples per stage, per kind, and per (stage, kind)."""

    rate_hz: float
    stages: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    cells: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def samples(self) -> int:
        return sum(self.stages.values())

    def cpu_s(self, samples: int) -> float:
        return samples / self.rate_hz

    def add(self, frames: Sequence[str], count: int) -> None:
        stage, kind = classify(frames)
        self.stages[stage] += count
        self.kinds[kind] += count
        self.cells[(stage, kind)] += count


def _file_of(frame: str) -> str:
    """The frame's file with a leading ``/``: py-spy shortens paths to the import root (``spacy/language.py``)."""
    match = _FRAME.match(frame.strip())
    file = match.group("file") if match else frame
    return file if file.startswith("/") else f"/{file}"


def classify(frames: Sequence[str]) -> tuple[str, str]:
    """``(stage, kind)`` of one stack, outermost frame first (py-spy's order)."""
    files = [_file_of(frame) for frame in frames]
    stage = next(
        (name for file in files for name, parts in STAGES if any(part in file for part in parts)), _UNATTRIBUTED
    )
    kind = next(
        (name for file in reversed(files) for name, parts in KINDS if any(part in file for part in parts)),
        _OTHER_KIND,
    )
    return stage, kind


def parse_collapsed(lines: Iterable[str]) -> Iterable[tuple[list[str], int]]:
    """``(frames outermost first, count)`` per line of py-spy's raw output (``a;b;c 12``)."""
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        yield frames, int(count)


def _table(title: str, counts: Counter[str], profile: Profile, events: int) -> list[str]:
    total = profile.samples or 1
    rows = [f"{title:<32} {'CPU-s':>8} {'share':>7} {'CPU-s / 1,000 ev':>17}"]
    for name, samples in counts.most_common():
        cpu = profile.cpu_s(samples)
        rows.append(f"{name:<32} {cpu:>8.1f} {samples / total:>7.1%} {cpu * 1000 / events:>17.3f}")
    return rows


def report(profile: Profile, events: int, top_cells: int = 15) -> str:
    cpu = profile.cpu_s(profile.samples)
    lines = [
        f"{profile.samples} samples at {profile.rate_hz:.0f} Hz = {cpu:.1f} CPU-s for {events} events "
        f"= {cpu * 1000 / events:.3f} CPU-s per 1,000 events ({events / cpu if cpu else 0:.0f} events per CPU-s)",
        "",
        *_table("stage", profile.stages, profile, events),
        "",
        *_table("kind of work", profile.kinds, profile, events),
        "",
        f"top {top_cells} (stage, kind) cells:",
    ]
    total = profile.samples or 1
    for (stage, kind), samples in profile.cells.most_common(top_cells):
        lines.append(f"  {stage:<22} {kind:<30} {profile.cpu_s(samples):>7.1f} CPU-s {samples / total:>6.1%}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profiles", nargs="+", type=Path, help="py-spy --format raw outputs")
    parser.add_argument("--events", type=int, required=True, help="events that went through while recording")
    parser.add_argument("--rate", type=float, default=100.0, help="py-spy's --rate (samples per second)")
    args = parser.parse_args(argv)
    profile = Profile(rate_hz=args.rate)
    for path in args.profiles:
        with open(path, encoding="utf-8", errors="replace") as stream:
            for frames, count in parse_collapsed(stream):
                profile.add(frames, count)
    print(report(profile, args.events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
