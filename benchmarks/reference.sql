-- benchmarks/reference.sql — what an analyst would otherwise write: the core sales KPIs in
-- DuckDB SQL, straight from the same CSV exports salesmetrics reads. benchmarks/reference.py
-- fills in ${deals}, ${activities}, ${start} (first day) and ${end} (the day after the last).
--
-- It follows salesmetrics' definitions (salesmetrics/kpis/close.py and outreach.py):
-- * deals: a row without a Create Date is rejected; rows sharing a Record ID keep the one
--   with the latest Last Modified Date; the status follows the HubSpot stage (closedwon → won,
--   closedlost → lost, any other → open); closed_at is the first of the Date entered
--   "Closed Won" / "Closed Lost" columns; amounts are converted to USD at EUR 1.08, GBP 1.27.
-- * a deal counts in a month when its closed_at is in it (deals won and lost, win rate,
--   revenue won, average deal size over won deals with an amount, median sales cycle in days
--   from created_at to closed_at over won deals); the pipeline at a month's end is every deal
--   created before the end and open then (status open, or closed at or after the end).
-- * an email sent is an outbound (or blank-direction) activity of type Email; the open and
--   response rates leave bounced emails out of both sides; blank flags are false.
-- * every owner found in the file gets a value in every month (week), also with no rows:
--   counts and sums 0, ratios and medians NULL, as salesmetrics reports them.

CREATE OR REPLACE TEMP TABLE deals AS
WITH raw AS (
    SELECT
        "Record ID" AS deal_id,
        "Deal Stage" AS stage,
        "Amount" AS amount,
        "Currency" AS currency,
        "Create Date" AS created_at,
        "Deal owner" AS owner,
        "Last Modified Date" AS modified_at,
        coalesce("Date entered ""Closed Won (Sales Pipeline)""",
                 "Date entered ""Closed Lost (Sales Pipeline)""") AS closed_at
    FROM read_csv('${deals}', header = true, delim = ',', quote = '"',
                  timestampformat = '%Y-%m-%d %H:%M',
                  types = {'Record ID': 'VARCHAR', 'Amount': 'DOUBLE', 'Currency': 'VARCHAR',
                           'Create Date': 'TIMESTAMP', 'Last Modified Date': 'TIMESTAMP',
                           'Deal owner': 'VARCHAR', 'Deal Stage': 'VARCHAR',
                           'Date entered "Closed Won (Sales Pipeline)"': 'TIMESTAMP',
                           'Date entered "Closed Lost (Sales Pipeline)"': 'TIMESTAMP'})
)
SELECT
    deal_id,
    coalesce(owner, '(blank)') AS owner,
    CASE stage WHEN 'closedwon' THEN 'won' WHEN 'closedlost' THEN 'lost' ELSE 'open' END
        AS status,
    amount * CASE currency WHEN 'EUR' THEN 1.08::DOUBLE WHEN 'GBP' THEN 1.27::DOUBLE
                           ELSE 1.0::DOUBLE END AS amount,
    created_at,
    closed_at
FROM raw
WHERE deal_id IS NOT NULL AND created_at IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY deal_id ORDER BY modified_at DESC NULLS LAST) = 1;

CREATE OR REPLACE TEMP TABLE months AS
SELECT strftime(m, '%Y-%m') AS month, m AS month_start,
       least(m + INTERVAL 1 MONTH, TIMESTAMP '${end}') AS month_end
FROM generate_series(TIMESTAMP '${start}', TIMESTAMP '${end}' - INTERVAL 1 DAY,
                     INTERVAL 1 MONTH) AS t(m);

CREATE OR REPLACE TEMP TABLE deal_owners AS SELECT DISTINCT owner FROM deals;

-- deals won or lost in the period, by month of closed_at
CREATE OR REPLACE TEMP TABLE closed_by AS
SELECT
    month, owner,
    count(*) FILTER (WHERE status = 'won') AS won,
    count(*) FILTER (WHERE status = 'lost') AS lost,
    sum(amount) FILTER (WHERE status = 'won') AS revenue,
    count(amount) FILTER (WHERE status = 'won') AS won_with_amount,
    median(days) FILTER (WHERE status = 'won') AS cycle_days
FROM (
    SELECT owner, status, amount, strftime(closed_at, '%Y-%m') AS month,
           (epoch_us(closed_at) - epoch_us(created_at))::DOUBLE / 1000000.0::DOUBLE
               / 86400.0::DOUBLE AS days
    FROM deals
    WHERE status IN ('won', 'lost')
      AND closed_at >= TIMESTAMP '${start}' AND closed_at < TIMESTAMP '${end}'
)
GROUP BY GROUPING SETS ((month, owner), (month), (owner), ());

-- the open pipeline at the end of each month (the period's end for the whole period)
CREATE OR REPLACE TEMP TABLE pipeline_by AS
SELECT month, owner, sum(amount) AS pipeline
FROM (
    SELECT m.month, d.owner, d.amount
    FROM deals d JOIN months m
      ON d.created_at < m.month_end
     AND (d.status = 'open' OR d.closed_at >= m.month_end)
)
GROUP BY GROUPING SETS ((month, owner), (month))
UNION ALL
SELECT NULL AS month, owner, sum(amount) AS pipeline
FROM deals
WHERE created_at < TIMESTAMP '${end}'
  AND (status = 'open' OR closed_at >= TIMESTAMP '${end}')
GROUP BY GROUPING SETS ((owner), ());

CREATE OR REPLACE TEMP TABLE deal_groups AS
SELECT m.month, o.owner FROM months m CROSS JOIN deal_owners o
UNION ALL SELECT month, NULL FROM months
UNION ALL SELECT NULL, owner FROM deal_owners
UNION ALL SELECT NULL, NULL;

CREATE OR REPLACE TEMP TABLE emails AS
SELECT
    coalesce("Owner", '(blank)') AS owner,
    isoyear("Date")::VARCHAR || '-W' || lpad(week("Date")::VARCHAR, 2, '0') AS week,
    coalesce("Opened" = 'Yes', false) AS opened,
    coalesce("Replied" = 'Yes', false) AS replied,
    coalesce("Bounced" = 'Yes', false) AS bounced
FROM read_csv('${activities}', header = true, delim = ',', quote = '"',
              timestampformat = '%Y-%m-%dT%H:%M:%SZ',
              types = {'Date': 'TIMESTAMP', 'Type': 'VARCHAR', 'Direction': 'VARCHAR',
                       'Owner': 'VARCHAR', 'Opened': 'VARCHAR', 'Replied': 'VARCHAR',
                       'Bounced': 'VARCHAR'})
WHERE "Type" = 'Email' AND coalesce("Direction", 'Outbound') = 'Outbound'
  AND "Date" >= TIMESTAMP '${start}' AND "Date" < TIMESTAMP '${end}';

CREATE OR REPLACE TEMP TABLE activity_owners AS
SELECT DISTINCT coalesce("Owner", '(blank)') AS owner
FROM read_csv('${activities}', header = true, delim = ',', quote = '"',
              types = {'Owner': 'VARCHAR'});

CREATE OR REPLACE TEMP TABLE weeks AS
SELECT DISTINCT isoyear(d)::VARCHAR || '-W' || lpad(week(d)::VARCHAR, 2, '0') AS week
FROM generate_series(TIMESTAMP '${start}', TIMESTAMP '${end}' - INTERVAL 1 DAY,
                     INTERVAL 1 DAY) AS t(d);

CREATE OR REPLACE TEMP TABLE emails_by AS
SELECT
    week, owner,
    count(*) AS sent,
    count(*) FILTER (WHERE NOT bounced) AS delivered,
    count(*) FILTER (WHERE opened AND NOT bounced) AS opened,
    count(*) FILTER (WHERE replied AND NOT bounced) AS replied
FROM emails
GROUP BY GROUPING SETS ((week, owner), (week), (owner), ());

CREATE OR REPLACE TEMP TABLE email_groups AS
SELECT w.week, o.owner FROM weeks w CROSS JOIN activity_owners o
UNION ALL SELECT week, NULL FROM weeks
UNION ALL SELECT NULL, owner FROM activity_owners
UNION ALL SELECT NULL, NULL;

-- one row per KPI and group: (kpi, time dimension, time bucket, owner, value)
CREATE OR REPLACE TEMP TABLE deal_values AS
SELECT
    g.month, g.owner,
    coalesce(c.won, 0)::DOUBLE AS deals_won,
    coalesce(c.lost, 0)::DOUBLE AS deals_lost,
    CASE WHEN c.won + c.lost > 0 THEN c.won::DOUBLE / (c.won + c.lost) END AS win_rate,
    coalesce(c.revenue, 0)::DOUBLE AS revenue_won,
    CASE WHEN c.won_with_amount > 0 THEN c.revenue / c.won_with_amount END AS avg_deal_size,
    c.cycle_days AS sales_cycle_days,
    coalesce(p.pipeline, 0)::DOUBLE AS pipeline_value
FROM deal_groups g
LEFT JOIN closed_by c
  ON c.month IS NOT DISTINCT FROM g.month AND c.owner IS NOT DISTINCT FROM g.owner
LEFT JOIN pipeline_by p
  ON p.month IS NOT DISTINCT FROM g.month AND p.owner IS NOT DISTINCT FROM g.owner;

CREATE OR REPLACE TEMP TABLE email_values AS
SELECT
    g.week, g.owner,
    coalesce(e.sent, 0)::DOUBLE AS emails_sent,
    CASE WHEN e.delivered > 0 THEN e.opened::DOUBLE / e.delivered END AS email_open_rate,
    CASE WHEN e.delivered > 0 THEN e.replied::DOUBLE / e.delivered END AS email_response_rate
FROM email_groups g
LEFT JOIN emails_by e
  ON e.week IS NOT DISTINCT FROM g.week AND e.owner IS NOT DISTINCT FROM g.owner;

CREATE OR REPLACE TEMP TABLE result AS
SELECT kpi, 'month' AS dimension, month AS bucket, owner, value
FROM deal_values UNPIVOT INCLUDE NULLS (value FOR kpi IN (
    deals_won, deals_lost, win_rate, revenue_won, avg_deal_size, sales_cycle_days,
    pipeline_value))
UNION ALL
SELECT kpi, 'week', week, owner, value
FROM email_values UNPIVOT INCLUDE NULLS (value FOR kpi IN (
    emails_sent, email_open_rate, email_response_rate));
