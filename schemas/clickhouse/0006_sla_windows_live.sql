-- SLA windows (0003_sla.sql) also carry the live-ish gauges of the issue's window list, at each window's end in
-- event time: conversations active (opened, not yet closed), customers awaiting a human, and the oldest of
-- those waits in seconds (NULL when nobody waits). Definitions: docs/sla.md ("Windows").
-- Rows written before this migration read 0 / 0 / NULL.

ALTER TABLE sla_windows ADD COLUMN IF NOT EXISTS active UInt32 DEFAULT 0 AFTER late_rejected;
ALTER TABLE sla_windows ADD COLUMN IF NOT EXISTS awaiting UInt32 DEFAULT 0 AFTER active;
ALTER TABLE sla_windows ADD COLUMN IF NOT EXISTS oldest_wait_s Nullable(Float64) AFTER awaiting;

-- Reopen, the "same customer returns" kind (ARCHITECTURE.md "Metrics"): a conversation whose customer had an
-- earlier conversation closed at most {within_s} seconds before this one's first customer message. The
-- customer is the pseudonymised author of its customer messages (never raw: redaction pseudonymises customer
-- authors before `events`). Conversations live in different Kafka partitions, so this is computed here, at
-- query time, not in the stream. A parameterized view:
--   SELECT * FROM sla_customer_returns(within_s = 86400)
CREATE VIEW IF NOT EXISTS sla_customer_returns AS
WITH
    contacts AS (
        SELECT conversation_sid, any(author) AS customer, min(occurred_at) AS first_at
        FROM events
        WHERE author_role = 'customer' AND author != '' AND event_type = 'message.added'
        GROUP BY conversation_sid
    ),
    ordered AS (
        SELECT conversation_sid, customer, first_at,
               lagInFrame(conversation_sid) OVER w AS previous_sid
        FROM contacts
        WINDOW w AS (PARTITION BY customer ORDER BY first_at, conversation_sid
                     ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
    )
SELECT
    o.conversation_sid AS conversation_sid,
    o.customer AS customer,
    o.first_at AS first_at,
    o.previous_sid AS previous_sid,
    p.channel AS channel,
    p.queue AS queue,
    p.closed_at AS previous_closed_at,
    dateDiff('millisecond', p.closed_at, o.first_at) / 1000 AS gap_s
FROM ordered AS o
INNER JOIN (SELECT conversation_sid, channel, queue, closed_at FROM sla_conversations FINAL) AS p
    ON p.conversation_sid = o.previous_sid
WHERE o.previous_sid != '' AND p.closed_at <= o.first_at
  AND dateDiff('millisecond', p.closed_at, o.first_at) <= {within_s:UInt32} * 1000;
