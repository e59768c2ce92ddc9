"""Data-quality suites (Great Expectations) run on micro-batches of the redacted stream."""
