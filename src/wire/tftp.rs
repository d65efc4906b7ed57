//! TFTP codec (RFC 1350, 2347 OACK, 2348 blksize, 2349 timeout/tsize, 7440 windowsize).
//!
//! Hand-written: no maintained crate decodes TFTP sans-IO with option negotiation and keeps
//! unknown options (WDS's `msftwindow`) verbatim, and we need the same codec for analysis and for
//! `serve`. Decoding never panics; every error names the byte offset.

use std::borrow::Cow;

/// Strings borrow from the packet when they are UTF-8 (lossy copies otherwise): a storm's
/// requests and OACKs were a tenth of analyze's allocations when each was copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tftp<'a> {
    Rrq(Request<'a>),
    Wrq(Request<'a>),
    Data { block: u16, data: &'a [u8] },
    Ack { block: u16 },
    Error { code: u16, message: Cow<'a, str> },
    Oack { options: Options<'a> },
}

/// Options in wire order, names as sent (compare case-insensitively).
pub type Options<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request<'a> {
    pub filename: Cow<'a, str>,
    pub mode: Cow<'a, str>,
    pub options: Options<'a>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TftpError {
    pub offset: usize,
    pub what: String,
}

fn err(offset: usize, what: impl Into<String>) -> TftpError {
    TftpError {
        offset,
        what: what.into(),
    }
}

/// Split NUL-terminated strings starting at `at`. A missing final NUL is an error.
fn strings(d: &[u8], mut at: usize, max: usize) -> Result<Vec<Cow<'_, str>>, TftpError> {
    let mut out = Vec::new();
    while at < d.len() {
        if out.len() >= max {
            return Err(err(at, format!("more than {max} strings")));
        }
        let rest = &d[at..];
        let Some(n) = rest.iter().position(|&c| c == 0) else {
            return Err(err(at, "string without a terminating NUL"));
        };
        out.push(String::from_utf8_lossy(&rest[..n]));
        at += n + 1;
    }
    Ok(out)
}

/// Name/value pairs, moving the strings (a name without a value gets an empty one).
fn pairs<'a>(v: impl IntoIterator<Item = Cow<'a, str>>) -> Options<'a> {
    let mut it = v.into_iter();
    let mut out = Vec::with_capacity(it.size_hint().0.div_ceil(2));
    while let Some(name) = it.next() {
        out.push((name, it.next().unwrap_or_default()));
    }
    out
}

pub const OP_RRQ: u16 = 1;
pub const OP_WRQ: u16 = 2;
pub const OP_DATA: u16 = 3;
pub const OP_ACK: u16 = 4;
pub const OP_ERROR: u16 = 5;
pub const OP_OACK: u16 = 6;

pub fn opcode(d: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes([*d.first()?, *d.get(1)?]))
}

impl<'a> Tftp<'a> {
    pub fn decode(d: &'a [u8]) -> Result<Tftp<'a>, TftpError> {
        let op = opcode(d).ok_or_else(|| err(0, "shorter than a TFTP opcode"))?;
        match op {
            OP_RRQ | OP_WRQ => {
                let s = strings(d, 2, 64)?;
                if s.len() < 2 {
                    return Err(err(2, "request without filename and mode"));
                }
                let mut s = s.into_iter();
                let req = Request {
                    filename: s.next().unwrap_or_default(),
                    mode: s.next().unwrap_or_default(),
                    options: pairs(s),
                };
                Ok(if op == OP_RRQ {
                    Tftp::Rrq(req)
                } else {
                    Tftp::Wrq(req)
                })
            }
            OP_DATA => {
                let block = u16::from_be_bytes([
                    *d.get(2)
                        .ok_or_else(|| err(2, "DATA without block number"))?,
                    *d.get(3)
                        .ok_or_else(|| err(3, "DATA without block number"))?,
                ]);
                Ok(Tftp::Data {
                    block,
                    data: &d[4..],
                })
            }
            OP_ACK => {
                let b = d
                    .get(2..4)
                    .ok_or_else(|| err(2, "ACK without block number"))?;
                Ok(Tftp::Ack {
                    block: u16::from_be_bytes([b[0], b[1]]),
                })
            }
            OP_ERROR => {
                let b = d.get(2..4).ok_or_else(|| err(2, "ERROR without code"))?;
                // Many stacks omit the final NUL of the message; accept it.
                let msg = d.get(4..).unwrap_or(&[]);
                let end = msg.iter().position(|&c| c == 0).unwrap_or(msg.len());
                Ok(Tftp::Error {
                    code: u16::from_be_bytes([b[0], b[1]]),
                    message: String::from_utf8_lossy(&msg[..end]),
                })
            }
            OP_OACK => {
                let s = strings(d, 2, 64)?;
                Ok(Tftp::Oack { options: pairs(s) })
            }
            other => Err(err(0, format!("unknown TFTP opcode {other}"))),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        let put_str = |v: &mut Vec<u8>, s: &str| {
            v.extend_from_slice(s.as_bytes());
            v.push(0);
        };
        match self {
            Tftp::Rrq(r) | Tftp::Wrq(r) => {
                v.extend_from_slice(
                    &(if matches!(self, Tftp::Rrq(_)) {
                        OP_RRQ
                    } else {
                        OP_WRQ
                    })
                    .to_be_bytes(),
                );
                put_str(&mut v, &r.filename);
                put_str(&mut v, &r.mode);
                for (k, val) in &r.options {
                    put_str(&mut v, k);
                    put_str(&mut v, val);
                }
            }
            Tftp::Data { block, data } => {
                v.extend_from_slice(&OP_DATA.to_be_bytes());
                v.extend_from_slice(&block.to_be_bytes());
                v.extend_from_slice(data);
            }
            Tftp::Ack { block } => {
                v.extend_from_slice(&OP_ACK.to_be_bytes());
                v.extend_from_slice(&block.to_be_bytes());
            }
            Tftp::Error { code, message } => {
                v.extend_from_slice(&OP_ERROR.to_be_bytes());
                v.extend_from_slice(&code.to_be_bytes());
                put_str(&mut v, message);
            }
            Tftp::Oack { options } => {
                v.extend_from_slice(&OP_OACK.to_be_bytes());
                for (k, val) in options {
                    put_str(&mut v, k);
                    put_str(&mut v, val);
                }
            }
        }
        v
    }
}

/// Value of a named option (case-insensitive, as RFC 2347 says).
pub fn option<'o, S: AsRef<str>>(opts: &'o [(S, S)], name: &str) -> Option<&'o str> {
    opts.iter()
        .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

pub fn option_num<S: AsRef<str>>(opts: &[(S, S)], name: &str) -> Option<u64> {
    option(opts, name).and_then(|v| v.trim().parse().ok())
}

pub fn error_name(code: u16) -> &'static str {
    match code {
        0 => "not defined",
        1 => "file not found",
        2 => "access violation",
        3 => "disk full",
        4 => "illegal operation",
        5 => "unknown transfer ID",
        6 => "file already exists",
        7 => "no such user",
        8 => "option negotiation refused",
        _ => "unknown error code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_kind() {
        let pkts = vec![
            Tftp::Rrq(Request {
                filename: "pxelinux.0".into(),
                mode: "octet".into(),
                options: vec![
                    ("blksize".into(), "1432".into()),
                    ("tsize".into(), "0".into()),
                    ("msftwindow".into(), "31416".into()),
                ],
            }),
            Tftp::Wrq(Request {
                filename: "x".into(),
                mode: "netascii".into(),
                options: vec![],
            }),
            Tftp::Data {
                block: 65535,
                data: b"abc",
            },
            Tftp::Ack { block: 0 },
            Tftp::Error {
                code: 8,
                message: "User aborted the transfer".into(),
            },
            Tftp::Oack {
                options: vec![("tsize".into(), "345455".into())],
            },
        ];
        for p in pkts {
            let bytes = p.encode();
            let back = Tftp::decode(&bytes).expect("decodes");
            assert_eq!(back, p);
            assert_eq!(back.encode(), bytes);
        }
    }

    #[test]
    fn malformed_requests_name_the_offset() {
        let e = Tftp::decode(&[0, 1, b'a', b'b']).expect_err("no NUL");
        assert_eq!(e.offset, 2);
        assert!(Tftp::decode(&[0]).is_err());
        assert!(Tftp::decode(&[0, 9]).is_err());
        assert!(Tftp::decode(&[0, 3, 1]).is_err());
    }

    #[test]
    fn options_are_case_insensitive() {
        let o = vec![("BLKSIZE".to_string(), "1468".to_string())];
        assert_eq!(option_num(&o, "blksize"), Some(1468));
    }
}
