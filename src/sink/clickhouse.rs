//! ClickHouse's HTTP interface, the little of it an INSERT needs: one `POST
//! /?query=INSERT INTO db.table FORMAT JSONEachRow` with the rows as the body, answered `200`
//! or an error text (`Code: 60, e.displayText() = ...`).
//!
//! Hand-written over `std::net::TcpStream` rather than an HTTP crate: the sink speaks plain
//! HTTP/1.0 (one request per connection, `Content-Length` in, body read to EOF out, so neither
//! side needs chunked encoding or keep-alive), which is some forty lines; a client crate would
//! bring TLS/URL/IDNA dependency trees the `clickhouse+http` scheme never uses, and its timeouts
//! would still have to be set as carefully as these.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Where `--sink clickhouse+http://HOST:PORT/DATABASE.TABLE` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub table: String,
}

pub const SCHEME: &str = "clickhouse+http://";

fn ident_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

impl Target {
    /// Parses the `--sink` URL. Credentials in it are refused: they come from the environment
    /// (`PXE_INSPECT_CLICKHOUSE_USER` / `_PASSWORD`), never from a command line `ps` shows.
    pub fn parse(url: &str) -> Result<Target, String> {
        // A password put in the URL anyway is not echoed back into logs.
        let shown = match url.split_once('@') {
            Some((_, rest)) => format!("{SCHEME}***@{rest}"),
            None => url.to_string(),
        };
        let bad = |why: &str| {
            format!("--sink `{shown}`: {why} (expected {SCHEME}HOST:PORT/DATABASE.TABLE)")
        };
        let rest = url
            .strip_prefix(SCHEME)
            .ok_or_else(|| bad("unknown scheme"))?;
        let (authority, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("no DATABASE.TABLE"))?;
        if authority.contains('@') {
            return Err(bad("no user or password in the URL: set PXE_INSPECT_CLICKHOUSE_USER and PXE_INSPECT_CLICKHOUSE_PASSWORD"));
        }
        let (host, port) = if let Some(r) = authority.strip_prefix('[') {
            let (h, p) = r.split_once(']').ok_or_else(|| bad("unclosed [ in host"))?;
            (h.to_string(), p.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port = match port {
            None | Some("") => 8123,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad("bad port"))?,
        };
        let path = path.trim_end_matches('/');
        let (database, table) = path
            .split_once('.')
            .ok_or_else(|| bad("no DATABASE.TABLE"))?;
        if !ident_ok(database) || !ident_ok(table) {
            return Err(bad("database and table are names of letters, digits and _"));
        }
        Ok(Target {
            host,
            port,
            database: database.to_string(),
            table: table.to_string(),
        })
    }

    /// `host:port` (IPv6 in brackets), for messages and the Host header.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The request target of the INSERT. Unknown keys are skipped, so rows with columns a newer
    /// pxe-inspect adds still load into an older table.
    pub fn insert_path(&self) -> String {
        format!(
            "/?query=INSERT%20INTO%20{}.{}%20FORMAT%20JSONEachRow&input_format_skip_unknown_fields=1",
            self.database, self.table
        )
    }
}

/// User and password for the X-ClickHouse-User / X-ClickHouse-Key headers.
#[derive(Clone, Default)]
pub struct Credentials {
    pub user: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password, not even in a debug print.
        write!(f, "Credentials {{ user: {:?}, password: ", self.user)?;
        f.write_str(if self.password.is_some() {
            "<set> }"
        } else {
            "None }"
        })
    }
}

impl Credentials {
    pub fn from_env() -> Credentials {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Credentials {
            user: get("PXE_INSPECT_CLICKHOUSE_USER"),
            password: get("PXE_INSPECT_CLICKHOUSE_PASSWORD"),
        }
    }
}

/// Why an insert failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertError {
    /// Connection refused, reset, timed out, or a 5xx the server may get over: try again later.
    Retry(String),
    /// The server read the rows and refused them as data (a parse error): sending the same
    /// bytes again cannot succeed.
    Rejected(String),
}

impl std::fmt::Display for InsertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InsertError::Retry(e) | InsertError::Rejected(e) => f.write_str(e),
        }
    }
}

/// The HTTP request, headers and body, as bytes (pure; tested).
pub fn request(t: &Target, c: &Credentials, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: pxe-inspect/{}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\n",
        t.insert_path(),
        t.authority(),
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    // Header values cannot carry CR/LF: a value with one is left out (the server then refuses
    // the login, which is reported) rather than splitting the request.
    let clean = |v: &str| !v.contains(['\r', '\n']);
    if let Some(u) = c.user.as_deref().filter(|v| clean(v)) {
        r.push_str(&format!("X-ClickHouse-User: {u}\r\n"));
    }
    if let Some(p) = c.password.as_deref().filter(|v| clean(v)) {
        r.push_str(&format!("X-ClickHouse-Key: {p}\r\n"));
    }
    r.push_str("\r\n");
    let mut bytes = r.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Reads ClickHouse's answer (status line, headers, body): Ok for 200, else the error.
pub fn parse_response(resp: &[u8]) -> Result<(), InsertError> {
    let text = String::from_utf8_lossy(resp);
    let status_line = text.lines().next().unwrap_or("");
    let code = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok());
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or("")
        .trim();
    let first = body.lines().next().unwrap_or("").trim();
    match code {
        Some(200) => Ok(()),
        None => Err(InsertError::Retry(format!(
            "not an HTTP answer: {:?}",
            status_line.chars().take(80).collect::<String>()
        ))),
        Some(c) => {
            let msg = format!("HTTP {c}: {}", first.chars().take(300).collect::<String>());
            // 26/27 CANNOT_PARSE_*, 117 INCORRECT_DATA, 53 TYPE_MISMATCH, 6 CANNOT_PARSE_TEXT,
            // 72 CANNOT_PARSE_NUMBER, 41 CANNOT_PARSE_DATETIME.
            let data_error = ["6", "26", "27", "41", "53", "72", "117"]
                .iter()
                .any(|n| first.starts_with(&format!("Code: {n},")));
            if data_error {
                Err(InsertError::Rejected(msg))
            } else {
                Err(InsertError::Retry(msg))
            }
        }
    }
}

/// One INSERT: connect, send, read the answer; every step bounded by `timeout`.
pub fn insert(
    t: &Target,
    c: &Credentials,
    body: &[u8],
    timeout: Duration,
) -> Result<(), InsertError> {
    let retry = |e: std::io::Error| InsertError::Retry(e.to_string());
    let addrs: Vec<_> = (t.host.as_str(), t.port)
        .to_socket_addrs()
        .map_err(|e| InsertError::Retry(format!("{}: {e}", t.host)))?
        .collect();
    let mut last = InsertError::Retry(format!("{}: no address", t.host));
    let mut stream = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = InsertError::Retry(format!("connect {a}: {e}")),
        }
    }
    let Some(mut s) = stream else {
        return Err(last);
    };
    s.set_read_timeout(Some(timeout)).map_err(retry)?;
    s.set_write_timeout(Some(timeout)).map_err(retry)?;
    s.write_all(&request(t, c, body)).map_err(retry)?;
    s.flush().map_err(retry)?;
    let mut resp = Vec::new();
    // Enough for any status line and error text; the rest of a long error is not needed.
    s.take(64 << 10).read_to_end(&mut resp).map_err(retry)?;
    parse_response(&resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sink_urls() {
        let t = Target::parse("clickhouse+http://127.0.0.1:8123/pxe_inspect.sessions").unwrap();
        assert_eq!(t.authority(), "127.0.0.1:8123");
        assert_eq!(
            (t.database.as_str(), t.table.as_str()),
            ("pxe_inspect", "sessions")
        );
        let t = Target::parse("clickhouse+http://[::1]/db.t").unwrap();
        assert_eq!(t.authority(), "[::1]:8123");
        let e = Target::parse("clickhouse+http://u:s3cret@h:1/db.t").unwrap_err();
        assert!(
            e.contains("PXE_INSPECT_CLICKHOUSE_USER") && !e.contains("s3cret"),
            "{e}"
        );
        for bad in [
            "http://h:1/db.t",
            "clickhouse+http://h:1/db",
            "clickhouse+http://h:1/db.t;DROP",
            "clickhouse+http://h:x/db.t",
            "clickhouse+http://:1/db.t",
            "clickhouse+http://h:1",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_carries_credentials_as_headers_only() {
        let t = Target::parse("clickhouse+http://h:9/db.t").unwrap();
        let c = Credentials {
            user: Some("pxe".into()),
            password: Some("s3cret".into()),
        };
        let r = String::from_utf8(request(&t, &c, b"{}\n")).unwrap();
        assert!(r.starts_with("POST /?query=INSERT%20INTO%20db.t%20FORMAT%20JSONEachRow"));
        assert!(r.contains("\r\nX-ClickHouse-User: pxe\r\n"));
        assert!(r.contains("\r\nX-ClickHouse-Key: s3cret\r\n"));
        assert!(r.ends_with("\r\nContent-Length: 3\r\nX-ClickHouse-User: pxe\r\nX-ClickHouse-Key: s3cret\r\n\r\n{}\n"));
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn answers() {
        assert_eq!(parse_response(b"HTTP/1.0 200 OK\r\nA: b\r\n\r\n"), Ok(()));
        let e = parse_response(b"HTTP/1.0 500 Internal Server Error\r\n\r\nCode: 27, e.displayText() = DB::Exception: Cannot parse input\n");
        assert!(matches!(e, Err(InsertError::Rejected(_))), "{e:?}");
        let e = parse_response(b"HTTP/1.0 404 Not Found\r\n\r\nCode: 60, e.displayText() = DB::Exception: Table x doesn't exist.\n");
        assert!(matches!(e, Err(InsertError::Retry(m)) if m.contains("Code: 60")));
        assert!(matches!(parse_response(b""), Err(InsertError::Retry(_))));
    }
}
