#!/bin/bash
# Run once by the clickhouse-server image on its first start (docker-entrypoint-initdb.d, see docker-compose.yml):
# the dashboard's own user, which may read the cxpulse tables and write QA reviews, nothing else.
set -euo pipefail
password=${DASHBOARD_PASSWORD//\\/\\\\}  # a ClickHouse string literal: backslashes and quotes escaped
password=${password//\'/\'\'}
clickhouse client --user "$CLICKHOUSE_USER" --password "$CLICKHOUSE_PASSWORD" \
  --multiquery <<SQL
CREATE DATABASE IF NOT EXISTS cxpulse;
CREATE USER IF NOT EXISTS \`${DASHBOARD_USER}\` IDENTIFIED WITH sha256_password BY '${password}';
GRANT SELECT ON cxpulse.* TO \`${DASHBOARD_USER}\`;
GRANT INSERT ON cxpulse.qa_reviews TO \`${DASHBOARD_USER}\`;
SQL
