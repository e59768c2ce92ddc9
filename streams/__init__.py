"""Stream stages (Faust): ingest, redaction and, later, SLA, quality and QA sampling."""
