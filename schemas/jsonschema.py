"""The JSON Schema of :class:`~schemas.events.ConversationEvent`, generated from the pydantic model.

The committed file ``schemas/json/conversation_event.v<N>.json`` is what non-Python consumers (ClickHouse
loaders, other teams, contract tests) read. It is generated, never hand-edited, and a test fails when it
drifts from the model:

    python -m schemas.jsonschema            # (re)write the file
    python -m schemas.jsonschema --check    # exit 1 if the committed file is stale (for CI / pre-commit)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from schemas.events import SCHEMA_VERSION, ConversationEvent

__all__ = [
    "SCHEMA_DIALECT",
    "SCHEMA_ID",
    "SCHEMA_PATH",
    "conversation_event_schema",
    "is_stale",
    "main",
    "render_schema",
    "write_schema",
]

#: Pydantic 2 emits JSON Schema draft 2020-12.
SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
#: A URN, not a URL: the schema is identified by name and version, not fetched from anywhere.
SCHEMA_ID: Final = f"urn:cxpulse:schema:conversation_event:v{SCHEMA_VERSION}"
SCHEMA_PATH: Final = Path(__file__).resolve().parent / "json" / f"conversation_event.v{SCHEMA_VERSION}.json"

_TITLE = f"cxpulse ConversationEvent v{SCHEMA_VERSION}"
_DESCRIPTION = (
    "One thing that happened in a Twilio Conversation, in cxpulse's words: the only shape that crosses a "
    "cxpulse Kafka topic. Generated from schemas/events.py by `python -m schemas.jsonschema`; do not edit."
)


def conversation_event_schema() -> dict[str, Any]:
    """The schema as a dict: pydantic's serialization-mode schema plus ``$schema``, ``$id`` and titles.

    Serialization mode, because consumers read what :meth:`ConversationEvent.to_json` writes.
    """
    generated = ConversationEvent.model_json_schema(mode="serialization")
    generated.pop("title", None)
    generated.pop("description", None)
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": _TITLE,
        "description": _DESCRIPTION,
        **generated,
    }


def render_schema() -> str:
    """The exact committed text (sorted keys, two-space indent, final newline), so diffs stay stable."""
    return json.dumps(conversation_event_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_schema(), encoding="utf-8")
    return path


def is_stale(path: Path = SCHEMA_PATH) -> bool:
    """True when the file is missing or differs from what the model generates now."""
    return not path.is_file() or path.read_text(encoding="utf-8") != render_schema()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m schemas.jsonschema", description="Write or check the ConversationEvent JSON Schema."
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale; write nothing")
    parser.add_argument("--path", type=Path, default=SCHEMA_PATH, help=f"schema file (default: {SCHEMA_PATH})")
    args = parser.parse_args(argv)
    if args.check:
        if is_stale(args.path):
            print(f"{args.path} is stale: run `python -m schemas.jsonschema`", file=sys.stderr)
            return 1
        print(f"{args.path} is up to date")
        return 0
    print(f"wrote {write_schema(args.path)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
