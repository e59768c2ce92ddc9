"""The committed JSON Schema is what the model generates, and real events validate against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cxpulse.settings import RoleRules
from schemas.events import ConversationEvent, EventType
from schemas.jsonschema import SCHEMA_ID, SCHEMA_PATH, is_stale, main, render_schema
from schemas.twilio import from_cloudevent, from_webhook_form

DATA = Path(__file__).resolve().parents[2] / "data" / "twilio"
RULES = RoleRules()


def sample_events() -> list[ConversationEvent]:
    events = []
    for path in sorted((DATA / "webhooks").glob("*.json")):
        sample = json.loads(path.read_text(encoding="utf-8"))
        events.append(from_webhook_form(sample["form"], rules=RULES))
    for path in sorted((DATA / "cloudevents").glob("*.json")):
        events.append(from_cloudevent(json.loads(path.read_text(encoding="utf-8")), rules=RULES))
    return events


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_committed_schema_is_what_the_model_generates() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), "run `python -m schemas.jsonschema`"
    assert not is_stale()


def test_schema_is_identified_and_described() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$id"] == SCHEMA_ID
    assert schema["title"] and schema["description"]
    assert schema["additionalProperties"] is False
    assert set(schema["$defs"]["EventType"]["enum"]) == {member.value for member in EventType}


@pytest.mark.parametrize("event", sample_events(), ids=lambda event: f"{event.source}-{event.event_type}")
def test_serialised_sample_events_validate(validator: jsonschema.protocols.Validator, event: ConversationEvent) -> None:
    validator.validate(json.loads(event.to_json()))


@pytest.mark.parametrize(
    "breakage",
    [
        {"event_type": "message.sent"},
        {"unexpected": 1},
        {"index": -1},
        {"author_role": "manager"},
        {"event_id": ""},
    ],
)
def test_schema_rejects_what_the_model_rejects(
    validator: jsonschema.protocols.Validator, breakage: dict[str, Any]
) -> None:
    document = {**json.loads(sample_events()[0].to_json()), **breakage}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(document)


def test_check_flag_exits_nonzero_only_when_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "conversation_event.v1.json"
    assert main(["--check", "--path", str(target)]) == 1  # missing counts as stale
    assert main(["--path", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_schema()
    assert main(["--check", "--path", str(target)]) == 0
    target.write_text(render_schema().replace("cxpulse", "stale"), encoding="utf-8")
    assert main(["--check", "--path", str(target)]) == 1
    assert "stale" in capsys.readouterr().err
