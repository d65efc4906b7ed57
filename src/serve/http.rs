//! Sans-IO decisions of serve's HTTP server: which file a request names (percent-decoding, the
//! same traversal refusal as TFTP), which bytes of it a `Range` asks for, per-client `.ipxe.tmpl`
//! rendering and the `http-error` faults. The runtime (httpd.rs) owns the listener, hyper and
//! the file reads; everything it answers is a [`Plan`] made here.

use super::tftp::{FileStore, Refusal};
use std::path::{Path, PathBuf};

/// `--fault http-error=404|500|reset|stall`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpFault {
    #[default]
    None,
    /// Answer every request with this status.
    Status(u16),
    /// Send the response headers, then reset the connection (RST).
    Reset,
    /// Send the headers and half the body, then nothing more, with the connection kept open.
    Stall,
}

pub fn parse_fault(arg: Option<&str>) -> Result<HttpFault, String> {
    match arg.unwrap_or("404") {
        "reset" => Ok(HttpFault::Reset),
        "stall" => Ok(HttpFault::Stall),
        n => match n.parse::<u16>() {
            Ok(c) if (400..=599).contains(&c) => Ok(HttpFault::Status(c)),
            _ => Err("--fault http-error=404|500|reset|stall (or another 4xx/5xx status)".into()),
        },
    }
}

/// Templates are rendered per client; the file keeps this suffix, the URL does not.
pub const TEMPLATE_SUFFIX: &str = ".tmpl";
/// A template larger than this is refused (it is read whole to render it).
pub const MAX_TEMPLATE: u64 = 1 << 20;

/// What a template may ask about the client (empty when serve never saw it over DHCP).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientVars {
    pub mac: String,
    pub ip: String,
    pub arch: String,
    pub family: String,
}

/// Replace `{{mac}}`, `{{ip}}`, `{{arch}}` and `{{family}}` (spaces inside the braces allowed).
/// Anything else, iPXE's own `${...}` and unknown `{{...}}` included, is left as it is.
pub fn render(tmpl: &str, v: &ClientVars) -> String {
    let mut out = String::with_capacity(tmpl.len());
    let mut rest = tmpl;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            out.push_str(&rest[i..]);
            return out;
        };
        let value = match after[..j].trim() {
            "mac" => Some(&v.mac),
            "ip" => Some(&v.ip),
            "arch" => Some(&v.arch),
            "family" => Some(&v.family),
            _ => None,
        };
        match value {
            Some(val) => {
                out.push_str(val);
                rest = &after[j + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Percent-decode a URL path. Malformed escapes and non-UTF-8 results are refused (400), so
/// `%2e%2e` reaches the traversal check as `..`.
pub fn decode_path(path: &str) -> Result<String, Refusal> {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return Err(bad_request("malformed %-escape in path")),
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad_request("path is not UTF-8"))
}

fn bad_request(m: &str) -> Refusal {
    Refusal {
        code: 400,
        message: m.into(),
    }
}

/// The part of a file a `Range` header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAsk {
    /// No (usable) Range: the whole file, 200.
    Whole,
    /// Bytes `start..=end`, 206.
    Part { start: u64, end: u64 },
    /// 416.
    Unsatisfiable,
}

/// One `bytes=` range (RFC 9110 14.1.2). A header that does not parse, another unit, or several
/// ranges are ignored (the whole file, which the RFC allows); a first byte past the end is 416.
pub fn parse_range(header: Option<&str>, len: u64) -> RangeAsk {
    let Some(h) = header else {
        return RangeAsk::Whole;
    };
    let h = h.trim();
    let Some(spec) = h
        .get(..6)
        .filter(|u| u.eq_ignore_ascii_case("bytes="))
        .map(|_| h[6..].trim())
    else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return RangeAsk::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    if a.is_empty() {
        // Suffix: the last N bytes.
        let Some(n) = num(b) else {
            return RangeAsk::Whole;
        };
        if n == 0 || len == 0 {
            return RangeAsk::Unsatisfiable;
        }
        return RangeAsk::Part {
            start: len.saturating_sub(n),
            end: len - 1,
        };
    }
    let Some(start) = num(a) else {
        return RangeAsk::Whole;
    };
    let end = if b.is_empty() {
        u64::MAX
    } else {
        match num(b) {
            Some(e) if e >= start => e,
            _ => return RangeAsk::Whole,
        }
    };
    if start >= len {
        return RangeAsk::Unsatisfiable;
    }
    RangeAsk::Part {
        start,
        end: end.min(len - 1),
    }
}

/// The files behind the server: resolve (traversal check) and read templates. FileStore in
/// serve; a map in the tests.
pub trait Files {
    /// The file's real path and length, or why not (TFTP codes: 1 not found, 2 refused).
    fn stat(&self, name: &str) -> Result<(PathBuf, u64), Refusal>;
    fn read_small(&self, path: &Path) -> Option<Vec<u8>>;
}

impl Files for FileStore {
    fn stat(&self, name: &str) -> Result<(PathBuf, u64), Refusal> {
        let p = self.resolve(name)?;
        let len = std::fs::metadata(&p)
            .map_err(|_| Refusal {
                code: 1,
                message: "file not found".into(),
            })?
            .len();
        Ok((p, len))
    }
    fn read_small(&self, path: &Path) -> Option<Vec<u8>> {
        use std::io::Read;
        let mut v = vec![];
        std::fs::File::open(path)
            .ok()?
            .take(MAX_TEMPLATE + 1)
            .read_to_end(&mut v)
            .ok()?;
        Some(v)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Empty,
    Bytes(Vec<u8>),
    /// `len` bytes of the file from `start`.
    File {
        path: PathBuf,
        start: u64,
        len: u64,
    },
}

/// One response, decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub status: u16,
    /// Besides Content-Length, which is always `content_length`.
    pub headers: Vec<(&'static str, String)>,
    pub content_length: u64,
    /// None for HEAD (the headers of a GET, no body).
    pub body: Body,
    /// Reset the connection once the headers are out (`http-error=reset`).
    pub reset_after_headers: bool,
    /// Send only this many body bytes, then stall (`http-error=stall`).
    pub stall_after: Option<u64>,
    /// For the log line: what was served.
    pub note: String,
}

pub struct Request<'a> {
    pub method: &'a str,
    /// The URL path, still %-encoded (no query).
    pub path: &'a str,
    pub range: Option<&'a str>,
}

fn text(status: u16, msg: &str, head: bool) -> Plan {
    let body = format!("{status} {msg}\n").into_bytes();
    Plan {
        status,
        headers: vec![("content-type", "text/plain".into())],
        content_length: body.len() as u64,
        body: if head { Body::Empty } else { Body::Bytes(body) },
        reset_after_headers: false,
        stall_after: None,
        note: msg.to_string(),
    }
}

fn refusal(r: &Refusal, head: bool) -> Plan {
    match r.code {
        1 => text(404, "Not Found", head),
        400 => text(400, &format!("Bad Request: {}", r.message), head),
        _ => text(
            403,
            &format!("Forbidden: {}", r.message.replace("TFTP root", "HTTP root")),
            head,
        ),
    }
}

/// Decide the answer to one request. `client` is asked only when a template is rendered.
// Long on purpose: a request's decisions in the order HTTP takes them (method, fault, path,
// file or template, range, body, fault), each early return one error status.
pub fn plan(
    files: &dyn Files,
    req: &Request<'_>,
    fault: HttpFault,
    client: &dyn Fn() -> ClientVars,
) -> Plan {
    let head = req.method == "HEAD";
    if !head && req.method != "GET" {
        let mut p = text(405, "Method Not Allowed", false);
        p.headers.push(("allow", "GET, HEAD".into()));
        return p;
    }
    if let HttpFault::Status(c) = fault {
        let mut p = text(
            c,
            "injected error (pxe-inspect serve --fault http-error)",
            head,
        );
        p.note = format!("injected HTTP {c} (--fault)");
        return p;
    }
    let name = match decode_path(req.path) {
        Ok(n) => n,
        Err(r) => return refusal(&r, head),
    };
    // A URL path is always absolute: `/` is the root, as a leading slash is for TFTP.
    let (content, mut note): (Content, String) = match files.stat(&name) {
        Ok((path, len)) => (Content::File(path, len), String::new()),
        Err(r) if r.code == 1 && name.ends_with(".ipxe") => {
            match files.stat(&format!("{name}{TEMPLATE_SUFFIX}")) {
                Ok((path, len)) if len <= MAX_TEMPLATE => match files.read_small(&path) {
                    Some(bytes) => {
                        let vars = client();
                        let out = render(&String::from_utf8_lossy(&bytes), &vars);
                        let who = if vars.mac.is_empty() {
                            "an unknown client (no DHCP seen from its address)".to_string()
                        } else {
                            vars.mac.clone()
                        };
                        (
                            Content::Rendered(out.into_bytes()),
                            format!(" (template rendered for {who})"),
                        )
                    }
                    None => return text(500, "cannot read template", head),
                },
                Ok(_) => return text(500, "template too large", head),
                Err(r2) if r2.code != 1 => return refusal(&r2, head),
                Err(_) => return refusal(&r, head),
            }
        }
        Err(r) => return refusal(&r, head),
    };
    let len = content.len();
    let (status, start, n) = match parse_range(req.range, len) {
        RangeAsk::Whole => (200, 0, len),
        RangeAsk::Part { start, end } => (206, start, end - start + 1),
        RangeAsk::Unsatisfiable => {
            let mut p = text(416, "Range Not Satisfiable", head);
            p.headers.push(("content-range", format!("bytes */{len}")));
            return p;
        }
    };
    let mut headers = vec![
        ("content-type", content_type(&name).to_string()),
        ("accept-ranges", "bytes".to_string()),
    ];
    if status == 206 {
        headers.push((
            "content-range",
            format!("bytes {start}-{}/{len}", start + n - 1),
        ));
    }
    let body = if head {
        Body::Empty
    } else {
        match content {
            Content::File(path, _) => Body::File {
                path,
                start,
                len: n,
            },
            Content::Rendered(b) => Body::Bytes(b[start as usize..(start + n) as usize].to_vec()),
        }
    };
    let (reset_after_headers, stall_after) = match fault {
        HttpFault::Reset => {
            note.push_str(" (reset after the headers by --fault)");
            (true, None)
        }
        HttpFault::Stall => {
            note.push_str(" (stalled after half the body by --fault)");
            (false, Some(n / 2))
        }
        _ => (false, None),
    };
    Plan {
        status,
        headers,
        content_length: n,
        body,
        reset_after_headers,
        stall_after,
        note: format!("{n} bytes{note}"),
    }
}

enum Content {
    File(PathBuf, u64),
    Rendered(Vec<u8>),
}

impl Content {
    fn len(&self) -> u64 {
        match self {
            Content::File(_, l) => *l,
            Content::Rendered(b) => b.len() as u64,
        }
    }
}

fn content_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".ipxe")
        || lower.ends_with(".cfg")
        || lower.ends_with(".txt")
        || lower.ends_with(".conf")
    {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(HashMap<String, Vec<u8>>);
    impl Files for Map {
        fn stat(&self, name: &str) -> Result<(PathBuf, u64), Refusal> {
            let n = name.trim_start_matches('/');
            if n.split('/').any(|c| c == "..") {
                return Err(Refusal {
                    code: 2,
                    message: "path leaves the root".into(),
                });
            }
            self.0
                .get(n)
                .map(|b| (PathBuf::from(n), b.len() as u64))
                .ok_or(Refusal {
                    code: 1,
                    message: "file not found".into(),
                })
        }
        fn read_small(&self, path: &Path) -> Option<Vec<u8>> {
            self.0.get(path.to_str()?).cloned()
        }
    }

    fn files() -> Map {
        let mut m = HashMap::new();
        m.insert("a.bin".to_string(), vec![7u8; 1000]);
        m.insert(
            "boot.ipxe.tmpl".to_string(),
            b"#!ipxe\nchain http://x/{{family}}/{{ mac }}?ip={{ip}}&a={{arch}} ${net0/mac} {{other}}\n"
                .to_vec(),
        );
        Map(m)
    }

    fn get(path: &str, range: Option<&str>, fault: HttpFault) -> Plan {
        let vars = || ClientVars {
            mac: "52:54:00:12:34:56".into(),
            ip: "10.0.0.5".into(),
            arch: "7".into(),
            family: "efi-x64".into(),
        };
        plan(
            &files(),
            &Request {
                method: "GET",
                path,
                range,
            },
            fault,
            &vars,
        )
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 10), RangeAsk::Whole);
        assert_eq!(
            parse_range(Some("bytes=0-0"), 10),
            RangeAsk::Part { start: 0, end: 0 }
        );
        assert_eq!(
            parse_range(Some("bytes=2-"), 10),
            RangeAsk::Part { start: 2, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=-3"), 10),
            RangeAsk::Part { start: 7, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=-30"), 10),
            RangeAsk::Part { start: 0, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=5-100"), 10),
            RangeAsk::Part { start: 5, end: 9 }
        );
        assert_eq!(parse_range(Some("bytes=10-"), 10), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 10), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10), RangeAsk::Whole);
        assert_eq!(parse_range(Some("items=0-1"), 10), RangeAsk::Whole);
        assert_eq!(parse_range(Some("bytes=5-2"), 10), RangeAsk::Whole);
        assert_eq!(parse_range(Some("bytes=+1-2"), 10), RangeAsk::Whole);
        assert_eq!(
            parse_range(Some("bytes=99999999999999999999999-"), 10),
            RangeAsk::Whole
        );
        assert_eq!(parse_range(Some("b"), 10), RangeAsk::Whole);
        assert_eq!(parse_range(Some("bytes=é-"), 10), RangeAsk::Whole);
    }

    #[test]
    fn paths_decode_and_traversal_is_refused() {
        assert_eq!(decode_path("/a%20b").unwrap(), "/a b");
        assert_eq!(decode_path("/%2e%2e/x").unwrap(), "/../x");
        assert!(decode_path("/%zz").is_err());
        assert!(decode_path("/%").is_err());
        assert!(decode_path("/%ff").is_err());
        assert_eq!(get("/%2e%2e/etc/passwd", None, HttpFault::None).status, 403);
        assert_eq!(get("/../a.bin", None, HttpFault::None).status, 403);
        assert_eq!(get("/nope", None, HttpFault::None).status, 404);
        assert_eq!(get("/%zz", None, HttpFault::None).status, 400);
    }

    #[test]
    fn whole_part_and_unsatisfiable() {
        let p = get("/a.bin", None, HttpFault::None);
        assert_eq!((p.status, p.content_length), (200, 1000));
        let p = get("/a.bin", Some("bytes=10-19"), HttpFault::None);
        assert_eq!((p.status, p.content_length), (206, 10));
        assert!(p
            .headers
            .contains(&("content-range", "bytes 10-19/1000".into())));
        assert_eq!(
            p.body,
            Body::File {
                path: "a.bin".into(),
                start: 10,
                len: 10
            }
        );
        let p = get("/a.bin", Some("bytes=1000-"), HttpFault::None);
        assert_eq!(p.status, 416);
        assert!(p
            .headers
            .contains(&("content-range", "bytes */1000".into())));
        let p = plan(
            &files(),
            &Request {
                method: "POST",
                path: "/a.bin",
                range: None,
            },
            HttpFault::None,
            &ClientVars::default,
        );
        assert_eq!(p.status, 405);
        let p = plan(
            &files(),
            &Request {
                method: "HEAD",
                path: "/a.bin",
                range: None,
            },
            HttpFault::None,
            &ClientVars::default,
        );
        assert_eq!(
            (p.status, p.content_length, p.body),
            (200, 1000, Body::Empty)
        );
    }

    #[test]
    fn templates_render_per_client_and_leave_ipxe_syntax() {
        let p = get("/boot.ipxe", None, HttpFault::None);
        assert_eq!(p.status, 200);
        let Body::Bytes(b) = p.body else {
            panic!("rendered body")
        };
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "#!ipxe\nchain http://x/efi-x64/52:54:00:12:34:56?ip=10.0.0.5&a=7 ${net0/mac} {{other}}\n"
        );
        assert_eq!(render("{{mac", &ClientVars::default()), "{{mac");
        assert_eq!(render("{{{{ip}}", &ClientVars::default()), "{{");
    }

    /// Every request byte is hostile: random paths, ranges and templates never panic, and a
    /// Part range always lies inside the file.
    #[test]
    fn hostile_inputs_never_panic() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet = b"%2e./\\-=,bytes0123456789{}$ \x00\xffm";
        for _ in 0..20_000 {
            let mut s = Vec::new();
            for _ in 0..(x % 24) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            let t = String::from_utf8_lossy(&s).to_string();
            let _ = decode_path(&t);
            let _ = render(&t, &ClientVars::default());
            for len in [0u64, 1, 10, 300_001] {
                if let RangeAsk::Part { start, end } = parse_range(Some(&t), len) {
                    assert!(start <= end && end < len, "{t:?} {len}: {start}-{end}");
                }
            }
            let _ = get(&format!("/{t}"), Some(&t), HttpFault::None);
        }
    }

    #[test]
    fn faults() {
        assert_eq!(get("/a.bin", None, HttpFault::Status(500)).status, 500);
        let p = get("/a.bin", None, HttpFault::Stall);
        assert_eq!((p.status, p.stall_after), (200, Some(500)));
        let p = get("/a.bin", None, HttpFault::Reset);
        assert!(p.reset_after_headers);
        assert_eq!(parse_fault(Some("reset")), Ok(HttpFault::Reset));
        assert_eq!(parse_fault(Some("404")), Ok(HttpFault::Status(404)));
        assert!(parse_fault(Some("200")).is_err());
        assert!(parse_fault(Some("x")).is_err());
    }
}
