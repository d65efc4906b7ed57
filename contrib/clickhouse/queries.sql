-- Questions a fleet asks of pxe_inspect.sessions (schema.sql). Plain ClickHouse 18.16 SQL; each
-- statement runs on its own (clickhouse-client --multiquery < queries.sql runs them all).
-- FINAL: one row per session even before ReplacingMergeTree has merged away resent rows.

-- Failing boots in the last hour, by sensor and finding: which machines failed to boot, where,
-- and why (error-level findings only; one boot with two errors counts under each).
SELECT
    sensor,
    finding,
    count() AS failed_boots,
    uniqExact(mac) AS machines,
    any(message) AS example
FROM pxe_inspect.sessions FINAL
ARRAY JOIN
    findings.id AS finding,
    findings.severity AS severity,
    findings.message AS message
WHERE outcome = 'failed'
  AND severity = 'error'
  AND start >= now() - 3600
GROUP BY sensor, finding
ORDER BY failed_boots DESC, sensor, finding;

-- The slowest boot servers over the last day: completed TFTP transfers by server, slowest 95th
-- percentile first, with the throughput they managed.
SELECT
    server,
    count() AS transfers,
    round(quantile(0.5)(t_duration), 3) AS median_s,
    round(quantile(0.95)(t_duration), 3) AS p95_s,
    round(sum(t_bytes) / greatest(sum(t_duration), 0.001)) AS bytes_per_s
FROM pxe_inspect.sessions FINAL
ARRAY JOIN
    tftp.server AS server,
    tftp.status AS t_status,
    tftp.bytes AS t_bytes,
    tftp.duration_s AS t_duration
WHERE t_status = 'complete'
  AND start >= now() - 86400
GROUP BY server
ORDER BY p95_s DESC
LIMIT 20;

-- Whole boots by the servers that handed out the boot files: sessions and their duration.
SELECT
    boot_server,
    count() AS boots,
    countIf(outcome = 'failed') AS failed,
    round(quantile(0.95)(duration_s), 3) AS p95_boot_s
FROM pxe_inspect.sessions FINAL
ARRAY JOIN boot_servers AS boot_server
WHERE start >= now() - 86400
GROUP BY boot_server
ORDER BY p95_boot_s DESC
LIMIT 20;

-- Which firmware fails most (vendor class, UNDI version, architecture) over the last week.
SELECT
    vendor_class,
    undi,
    arch_family,
    count() AS boots,
    countIf(outcome = 'failed') AS failed,
    round(countIf(outcome = 'failed') / count(), 3) AS failure_rate
FROM pxe_inspect.sessions FINAL
WHERE pxe = 1
  AND start >= now() - 7 * 86400
GROUP BY vendor_class, undi, arch_family
HAVING failed > 0
ORDER BY failed DESC, failure_rate DESC
LIMIT 20;

-- Boot storms over time: new boot sessions per minute and sensor in the last day, with how many
-- distinct machines and how many failed.
SELECT
    toStartOfMinute(start) AS minute,
    sensor,
    count() AS sessions,
    uniqExact(mac) AS machines,
    countIf(outcome = 'failed') AS failed
FROM pxe_inspect.sessions FINAL
WHERE start >= now() - 86400
  AND pxe = 1
GROUP BY minute, sensor
ORDER BY minute, sensor;

-- ... and only the storms: minutes with at least 50 PXE boots on one sensor.
SELECT
    toStartOfMinute(start) AS minute,
    sensor,
    count() AS sessions,
    round(countIf(outcome = 'failed') / count(), 3) AS failure_rate
FROM pxe_inspect.sessions FINAL
WHERE pxe = 1
GROUP BY minute, sensor
HAVING sessions >= 50
ORDER BY minute, sensor;

-- One machine across capture points (the machine_sessions view in schema.sql): the sensors that
-- saw each boot and what each made of it.
SELECT
    machine,
    any(mac) AS mac,
    min(start) AS first_seen,
    groupUniqArray(sensor) AS sensors,
    groupUniqArray(outcome) AS outcomes
FROM pxe_inspect.machine_sessions
GROUP BY machine
ORDER BY first_seen DESC
LIMIT 50;
