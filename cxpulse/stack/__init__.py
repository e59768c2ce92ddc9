"""The embedded local stack: Apache Kafka (KRaft) and a ClickHouse HTTP front over chDB."""
