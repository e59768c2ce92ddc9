"""Kafka topic names: shared vocabulary between the stream stages, the sinks and the tests.

Full names carry the deployment's prefix: use ``settings.topic(RAW)``.
"""

__all__ = ["DLQ", "RAW", "REDACTED", "REDACTION_AUDIT", "REDACTION_DLQ"]

#: Raw Twilio events, normalised but unredacted. The only topic that holds raw PII; short retention.
RAW = "twilio.conversations.raw"
#: Redacted canonical events: the input of every downstream stage and the ClickHouse sink.
REDACTED = "cx.events.redacted"
#: What redaction found (entity types, offsets, scores), never the text.
REDACTION_AUDIT = "cx.redaction.audit"
#: Events redaction could not process; restricted like the raw topic because they may hold raw text.
REDACTION_DLQ = "cx.redaction.dlq"
#: Redacted events that failed validation, with the reason.
DLQ = "cx.events.dlq"
