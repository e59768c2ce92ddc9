"""Kafka topic names: shared vocabulary between the stream stages, the sinks and the tests.

Full names carry the deployment's prefix: use ``settings.topic(RAW)``.
"""

__all__ = [
    "DLQ",
    "DQ_RESULTS",
    "RAW",
    "REDACTED",
    "REDACTION_AUDIT",
    "REDACTION_CANARY",
    "REDACTION_DLQ",
    "SLA_CONVERSATIONS",
    "SLA_LIVE",
    "QA_SAMPLES",
    "SLA_RESPONSES",
    "SLA_WINDOWS",
    "SINK_DLQ",
    "SLA_WINDOW_INPUTS",
    "VALIDATED",
]

#: Raw Twilio events, normalised but unredacted. The only topic that holds raw PII; short retention.
RAW = "twilio.conversations.raw"
#: Redacted canonical events: the input of every downstream stage and the ClickHouse sink.
REDACTED = "cx.events.redacted"
#: What redaction found (entity types, offsets, scores), never the text.
REDACTION_AUDIT = "cx.redaction.audit"
#: Recall canary results: leak-free recall per entity type of the shipped labelled canary set, per worker run
#: (streams/redact/canary_worker.py). Entity types and counts only, never a canary value.
REDACTION_CANARY = "cx.redaction.canary"
#: Events redaction could not process; restricted like the raw topic because they may hold raw text.
REDACTION_DLQ = "cx.redaction.dlq"
#: Redacted events that failed validation, with the reason.
DLQ = "cx.events.dlq"
#: Redacted events that passed the data-quality suites: the input of the ClickHouse sink and later stages.
VALIDATED = "cx.events.validated"
#: One record per (micro-batch, expectation) the data-quality stage evaluated.
DQ_RESULTS = "cx.dq.results"
#: SLA facts: one per answered or abandoned customer wait (key = ConversationSid).
SLA_RESPONSES = "cx.sla.responses"
#: SLA facts: one per closed conversation (handle time, first response, containment, cost...).
SLA_CONVERSATIONS = "cx.sla.conversations"
#: Live status changes from the SLA stage's wall-clock timer (awaiting / breaching / idle / closed).
SLA_LIVE = "cx.sla.live"
#: SLA facts re-keyed by "<channel>|<queue>" for the event-time windows (internal to the SLA stage).
SLA_WINDOW_INPUTS = "cx.sla.window_inputs"
#: 1 m tumbling and 15 m hopping window rows per channel x queue.
SLA_WINDOWS = "cx.sla.windows"
#: Conversations the QA sampler picked for review, with reasons (key = ConversationSid; streams/qa.py).
QA_SAMPLES = "cx.qa.samples"
#: Records whose rows ClickHouse could not store as they were (a value out of range), with table and reason
#: (sinks/agent.py); stored in ``sink_rejections`` for a replay after a fix. Sources are cx.* topics: redacted.
SINK_DLQ = "cx.sink.dlq"
