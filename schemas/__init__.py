"""The contract: the canonical event, Twilio normalisers, JSON Schema and ClickHouse DDL."""
