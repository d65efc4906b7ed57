-- pxe-inspect sessions in ClickHouse (issue #25). Works on ClickHouse 18.16 (Debian bookworm's
-- clickhouse-server) and later: no DateTime64, Map, IPv4 or LowCardinality types, and the
-- findings and transfers as Nested columns, loaded from the flattened keys `findings.id`,
-- `tftp.file`, ... that `pxe-inspect ... --sink clickhouse+http://HOST:8123/pxe_inspect.sessions`
-- sends as JSONEachRow.
--
--   clickhouse-client --multiquery < contrib/clickhouse/schema.sql
--
-- Exactly once: `session_id` is derived from the sensor, the client's MAC (or DUID) and the
-- session's first-frame time, and ReplacingMergeTree keeps one row per ORDER BY key, so a
-- batch sent again after a failure replaces its rows instead of adding to them. Until the
-- background merge has run, read with FINAL (or GROUP BY session_id) to see each session once:
--   SELECT count() FROM pxe_inspect.sessions FINAL

CREATE DATABASE IF NOT EXISTS pxe_inspect;

CREATE TABLE IF NOT EXISTS pxe_inspect.sessions
(
    session_id String,
    sensor String,
    tool String,
    mac String,
    duid String,
    uuid String,
    ip String,
    hostname String,
    arch_code Nullable(UInt16),
    arch_name String,
    arch_family String,
    http_boot UInt8,
    vendor_class String,
    user_class Array(String),
    undi String,
    ipxe UInt8,
    pxe UInt8,
    outcome String,
    closed_by String,
    start DateTime,
    start_ns UInt32,
    end DateTime,
    duration_s Float64,
    stages UInt16,
    xids Array(String),
    servers Array(String),
    boot_servers Array(String),
    boot_files Array(String),
    relays Array(String),
    dhcp_messages UInt32,
    tftp_bytes UInt64,
    http_bytes UInt64,
    worst_severity String,
    findings Nested
    (
        id String,
        severity String,
        message String
    ),
    tftp Nested
    (
        file String,
        server String,
        status String,
        bytes UInt64,
        tsize Nullable(UInt64),
        blksize UInt64,
        retransmits UInt64,
        error_code Nullable(UInt16),
        error_message String,
        duration_s Float64
    ),
    http Nested
    (
        url String,
        server String,
        status String,
        status_code Nullable(UInt16),
        bytes UInt64,
        duration_s Float64
    ),
    inserted DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(start)
ORDER BY session_id;

-- One machine seen by several capture points (relay side and server side): its sessions share
-- the client MAC and at least one DHCP xid and start within two minutes of each other. `machine`
-- is the earliest session's id of such a group: group by it to count a machine's boot once.
CREATE VIEW IF NOT EXISTS pxe_inspect.machine_sessions AS
SELECT
    session_id,
    sensor,
    mac,
    start,
    outcome,
    other_session_id,
    other_sensor,
    other_start,
    other_outcome,
    if(other_start < start OR (other_start = start AND other_session_id < session_id),
       other_session_id, session_id) AS machine
FROM
(
    SELECT session_id, sensor, mac, start, outcome, xids
    FROM pxe_inspect.sessions FINAL
    WHERE mac != ''
)
ALL INNER JOIN
(
    SELECT
        session_id AS other_session_id,
        sensor AS other_sensor,
        mac,
        start AS other_start,
        outcome AS other_outcome,
        xids AS other_xids
    FROM pxe_inspect.sessions FINAL
    WHERE mac != ''
) USING (mac)
WHERE sensor != other_sensor
  AND abs(toInt64(start) - toInt64(other_start)) <= 120
  AND hasAny(xids, other_xids);
