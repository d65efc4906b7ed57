//! HTTP boot transfers: just enough TCP stream following to see the request, the status, the
//! content length, how many body bytes went by, the body's first bytes (for the architecture
//! check) and whether the stream finished, was reset or stalled. Only flows of clients that
//! already have a PXE/HTTP-boot session are followed, so ordinary web traffic is ignored.

use crate::model::{FrameRef, Timestamp, TransferStatus};
use crate::proto::FileKind;
use serde::Serialize;
use std::net::IpAddr;

#[derive(Debug, Clone, Serialize)]
pub struct HttpTransfer {
    pub url: String,
    pub method: String,
    pub client: String,
    pub server: IpAddr,
    pub server_port: u16,
    pub status_code: Option<u16>,
    pub content_length: Option<u64>,
    /// Body bytes seen (new bytes only; TCP retransmissions are not counted twice).
    pub bytes: u64,
    pub status: TransferStatus,
    /// The connection was reset (by either side) before the body was complete.
    pub reset: bool,
    pub first_frame: FrameRef,
    pub last_frame: FrameRef,
    pub start: Timestamp,
    pub end: Timestamp,
    pub duration_s: f64,
    /// When the server last sent bytes not seen before (a stall is measured from here: the
    /// client giving up later with a FIN does not make the transfer any less stalled).
    #[serde(skip)]
    pub last_progress: Timestamp,
    pub file_kind: Option<FileKind>,
    /// Authenticode signature present in the EFI image (see `Transfer::signed`).
    pub signed: Option<bool>,
    pub stage: Option<usize>,
    #[serde(skip)]
    pub flow: Flow,
}

#[derive(Debug, Clone, Default)]
pub struct Flow {
    req: Vec<u8>,
    resp_head: Vec<u8>,
    head_done: bool,
    next_seq: Option<u32>,
    /// The client's next sequence number: a request segment behind it is a TCP retransmission
    /// (GRUB resends its GET about 1 ms after the server's ACK), not a new request.
    pub client_next: Option<u32>,
    body_head: Vec<u8>,
    pub fin: bool,
}

const MAX_HEAD: usize = 16 * 1024;

fn find_end(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Does this client payload start an HTTP request?
pub fn is_request(payload: &[u8]) -> bool {
    payload.starts_with(b"GET ") || payload.starts_with(b"HEAD ")
}

/// Where a client segment stands against the bytes the client already sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSegment {
    /// New bytes (or the first segment seen of the flow).
    New,
    /// Every byte of it was seen before: a retransmission.
    Retransmitted,
}

impl Flow {
    /// Account a client segment; say whether it carries anything new.
    pub fn client_segment(&mut self, seq: u32, len: usize) -> ClientSegment {
        if len == 0 {
            return ClientSegment::New;
        }
        let end = seq.wrapping_add(len as u32);
        match self.client_next {
            Some(next) if (end.wrapping_sub(next) as i32) <= 0 => ClientSegment::Retransmitted,
            _ => {
                self.client_next = Some(end);
                ClientSegment::New
            }
        }
    }
}

impl HttpTransfer {
    pub fn new(
        client: String,
        server: IpAddr,
        server_port: u16,
        frame: FrameRef,
        ts: i64,
        stage: Option<usize>,
    ) -> HttpTransfer {
        HttpTransfer {
            url: String::new(),
            method: String::new(),
            client,
            server,
            server_port,
            status_code: None,
            content_length: None,
            bytes: 0,
            status: TransferStatus::Incomplete,
            reset: false,
            first_frame: frame,
            last_frame: frame,
            start: Timestamp(ts),
            end: Timestamp(ts),
            duration_s: 0.0,
            last_progress: Timestamp(ts),
            file_kind: None,
            signed: None,
            stage,
            flow: Flow::default(),
        }
    }

    pub fn on_client_data(&mut self, payload: &[u8]) {
        if self.flow.req.len() >= MAX_HEAD || !self.method.is_empty() {
            return;
        }
        self.flow
            .req
            .extend_from_slice(&payload[..payload.len().min(MAX_HEAD)]);
        if let Some(end) = find_end(&self.flow.req) {
            let head = String::from_utf8_lossy(&self.flow.req[..end]).into_owned();
            let mut first = head.lines().next().unwrap_or("").split_whitespace();
            self.method = first.next().unwrap_or("").to_string();
            let path = first.next().unwrap_or("").to_string();
            let mut host = header(&head, "host")
                .map(str::to_string)
                .unwrap_or_else(|| self.server.to_string());
            if self.server_port != 80 && !host.contains(':') {
                host = format!("{host}:{}", self.server_port); // firmware often omits the port
            }
            self.url = if path.starts_with("http") {
                path
            } else {
                format!("http://{host}{path}")
            };
        }
    }

    /// Returns whether the segment carried bytes not seen before.
    pub fn on_server_data(&mut self, seq: u32, payload: &[u8]) -> bool {
        if payload.is_empty() {
            return false;
        }
        // Only bytes past what we have already seen (retransmissions overlap).
        let next = *self.flow.next_seq.get_or_insert(seq);
        let ahead = seq.wrapping_sub(next) as i32;
        let new: &[u8] = if ahead >= 0 {
            payload
        } else {
            let skip = (-(ahead as i64)) as usize;
            if skip >= payload.len() {
                return false;
            }
            &payload[skip..]
        };
        let end_seq = seq.wrapping_add(payload.len() as u32);
        if (end_seq.wrapping_sub(next) as i32) > 0 {
            self.flow.next_seq = Some(end_seq);
        }
        let mut body = new;
        if !self.flow.head_done {
            let room = MAX_HEAD.saturating_sub(self.flow.resp_head.len());
            self.flow
                .resp_head
                .extend_from_slice(&new[..new.len().min(room)]);
            match find_end(&self.flow.resp_head) {
                Some(end) => {
                    let head = String::from_utf8_lossy(&self.flow.resp_head[..end]).into_owned();
                    self.status_code = head
                        .lines()
                        .next()
                        .and_then(|l| l.split_whitespace().nth(1))
                        .and_then(|c| c.parse().ok());
                    self.content_length =
                        header(&head, "content-length").and_then(|v| v.parse().ok());
                    self.flow.head_done = true;
                    let consumed_before = self.flow.resp_head.len() - new.len().min(room);
                    let body_start = end.saturating_sub(consumed_before);
                    body = new.get(body_start..).unwrap_or(&[]);
                }
                None => return true,
            }
        }
        self.bytes += body.len() as u64;
        if self.flow.body_head.len() < 1024 {
            let take = body.len().min(1024 - self.flow.body_head.len());
            self.flow.body_head.extend_from_slice(&body[..take]);
            if self.flow.body_head.len() >= 64
                || self
                    .content_length
                    .is_some_and(|c| c <= self.flow.body_head.len() as u64)
            {
                self.file_kind = FileKind::sniff(&self.flow.body_head);
                self.signed = crate::proto::pe_signed(&self.flow.body_head);
            }
        }
        self.update_status();
        true
    }

    fn update_status(&mut self) {
        if self.method == "HEAD" && self.status_code.is_some_and(|c| c < 400) {
            // UEFI's size probe: headers only, like the TFTP tsize probe.
            self.status = TransferStatus::Complete;
            return;
        }
        if let Some(code) = self.status_code {
            if code >= 400 {
                self.status = TransferStatus::Error;
                return;
            }
            if self.content_length.is_some_and(|c| self.bytes >= c) {
                self.status = TransferStatus::Complete;
            }
        }
    }

    pub fn on_fin(&mut self, from_server: bool) {
        if from_server {
            self.flow.fin = true;
            // Without a content length, the server closing the stream ends the body.
            if self.status == TransferStatus::Incomplete
                && self.flow.head_done
                && self.content_length.is_none()
                && self.status_code.is_some_and(|c| c < 400)
            {
                self.status = TransferStatus::Complete;
            }
        }
    }

    pub fn on_rst(&mut self) {
        if self.status == TransferStatus::Incomplete {
            self.reset = true;
            self.status = TransferStatus::Aborted;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> HttpTransfer {
        HttpTransfer::new(
            "192.0.2.100:50000".into(),
            "192.0.2.1".parse().expect("ip"),
            8080,
            FrameRef { input: 0, frame: 1 },
            0,
            Some(0),
        )
    }

    #[test]
    fn content_length_transfer_with_retransmission() {
        let mut h = t();
        h.on_client_data(b"GET /bootx64.efi HTTP/1.1\r\nHost: 192.0.2.1:8080\r\n\r\n");
        assert_eq!(h.url, "http://192.0.2.1:8080/bootx64.efi");
        let mut body = vec![0u8; 300];
        body[0] = b'M';
        body[1] = b'Z';
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n".to_vec();
        let mut first = head.clone();
        first.extend_from_slice(&body[..100]);
        h.on_server_data(1000, &first);
        assert_eq!(
            (h.status_code, h.content_length, h.bytes),
            (Some(200), Some(300), 100)
        );
        // a retransmission of the same segment adds nothing (and is no progress)
        assert!(!h.on_server_data(1000, &first));
        assert_eq!(h.bytes, 100);
        h.on_server_data(1000 + first.len() as u32, &body[100..]);
        assert_eq!(h.bytes, 300);
        assert_eq!(h.status, TransferStatus::Complete);
        assert!(
            matches!(h.file_kind, Some(FileKind::Raw)),
            "MZ without PE header: {:?}",
            h.file_kind
        );
    }

    #[test]
    fn errors_resets_and_close_delimited_bodies() {
        let mut h = t();
        h.on_client_data(b"GET /missing HTTP/1.1\r\n\r\n");
        h.on_server_data(5, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(h.status, TransferStatus::Error);
        let mut h = t();
        h.on_server_data(u32::MAX - 10, b"HTTP/1.0 200 OK\r\n\r\nabcdefghijklmnop");
        assert_eq!(h.bytes, 16, "sequence wrap");
        h.on_rst();
        assert_eq!(h.status, TransferStatus::Aborted);
        let mut h = t();
        h.on_server_data(1, b"HTTP/1.0 200 OK\r\n\r\nbody");
        h.on_fin(true);
        assert_eq!(h.status, TransferStatus::Complete);
    }
}
