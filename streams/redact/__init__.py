"""PII redaction with Presidio: nothing leaves the raw topic unredacted."""
