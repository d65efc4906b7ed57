//! HTTP boot transfers: just enough TCP stream following to see the request, the status, the
//! content length, how many body bytes went by, the body's first bytes (for the architecture
//! check) and whether the stream finished, was reset or stalled. Only flows of clients that
//! already have a PXE/HTTP-boot session are followed, so ordinary web traffic is ignored.

use super::{push_lean, Open, TKey, Tracker};
use crate::model::{FrameRef, HttpTransfer, Timestamp, TransferStatus};
use crate::proto::FileKind;
use crate::wire::link::TcpSegment;

/// The stream state of one HTTP transfer (its record is the `HttpTransfer` beside it).
#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Default)]
pub(super) struct Flow {
    req: Vec<u8>,
    resp_head: Vec<u8>,
    head_done: bool,
    next_seq: Option<u32>,
    /// The client's next sequence number: a request segment behind it is a TCP retransmission
    /// (GRUB resends its GET about 1 ms after the server's ACK), not a new request.
    client_next: Option<u32>,
    body_head: Vec<u8>,
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
fn is_request(payload: &[u8]) -> bool {
    payload.starts_with(b"GET ") || payload.starts_with(b"HEAD ")
}

/// Where a client segment stands against the bytes the client already sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientSegment {
    /// New bytes (or the first segment seen of the flow).
    New,
    /// Every byte of it was seen before: a retransmission.
    Retransmitted,
}

impl Tracker {
    /// Follow HTTP downloads of clients that have a PXE/HTTP-boot session. Returns whether the
    /// segment belonged to such a flow.
    pub fn on_tcp(&mut self, frame: FrameRef, ts: i64, t: &TcpSegment<'_>) -> bool {
        let Some((key, from_server)) = self.http_flow(frame, ts, t) else {
            return false;
        };
        let Some(&(id, mut idx)) = self.http.get(&key) else {
            return false;
        };
        // A client segment whose bytes were all seen before is a TCP retransmission: it is
        // neither a new request nor more of this one (GRUB resends its GET ~1 ms after the ACK).
        let mut retransmitted = false;
        if !from_server && !t.payload.is_empty() {
            if let Some(f) = self
                .open
                .get_mut(&id)
                .and_then(|o| o.http_flows.get_mut(idx))
            {
                retransmitted =
                    f.client_segment(t.seq, t.payload.len()) == ClientSegment::Retransmitted;
            }
        }
        if !from_server && !retransmitted && is_request(t.payload) {
            idx = self.keep_alive(key, id, idx, frame, ts, t);
        }
        let ev = {
            let Some(o) = self.touch(id, frame, ts) else {
                return true;
            };
            let (Some(h), Some(f)) = (o.s.http.get_mut(idx), o.http_flows.get_mut(idx)) else {
                return true;
            };
            f.on_segment(h, t, from_server, retransmitted, frame, ts)
        };
        if let Some(text) = ev {
            self.event(id, frame, ts, "http", text);
        }
        true
    }

    /// The flow a segment belongs to and whether the server sent it. A request from a client
    /// with a PXE session starts a new flow (within the caps); None for any other segment.
    fn http_flow(&mut self, frame: FrameRef, ts: i64, t: &TcpSegment<'_>) -> Option<(TKey, bool)> {
        let c2s = TKey {
            client: t.src,
            client_port: t.sport,
            server: t.dst,
        };
        let s2c = TKey {
            client: t.dst,
            client_port: t.dport,
            server: t.src,
        };
        if self.http.contains_key(&c2s) {
            return Some((c2s, false));
        }
        if self.http.contains_key(&s2c) {
            return Some((s2c, true));
        }
        if !is_request(t.payload) {
            return None;
        }
        let &id = self.by_ip.get(&t.src)?;
        self.wake(id);
        let o = self.open.get_mut(&id)?;
        if !o.s.pxe || o.s.http.len() >= 256 || self.http.len() >= 100_000 {
            return None;
        }
        let stage = o.s.stages.len().checked_sub(1);
        push_http(
            o,
            HttpTransfer::new(
                format!("{}:{}", t.src, t.sport),
                t.dst,
                t.dport,
                frame,
                ts,
                stage,
            ),
            Flow::default(),
        );
        let idx = o.s.http.len() - 1;
        push_lean(&mut o.tkeys, c2s);
        self.http.insert(c2s, (id, idx));
        Some((c2s, false))
    }

    /// Keep-alive: a second request on the same connection (UEFI HTTP boot sends HEAD, then
    /// GET) is a transfer of its own; the bytes after it answer it, not the first one.
    /// Returns the index of the transfer the segment goes to.
    fn keep_alive(
        &mut self,
        key: TKey,
        id: u64,
        mut idx: usize,
        frame: FrameRef,
        ts: i64,
        t: &TcpSegment<'_>,
    ) -> usize {
        self.wake(id);
        if let Some(o) = self.open.get_mut(&id) {
            let busy = o.s.http.get(idx).is_some_and(|h| !h.method.is_empty());
            if busy && o.s.http.len() < 256 {
                let client_next = o.http_flows.get(idx).and_then(|f| f.client_next);
                let stage = o.s.stages.len().checked_sub(1);
                let h = HttpTransfer::new(
                    format!("{}:{}", t.src, t.sport),
                    t.dst,
                    t.dport,
                    frame,
                    ts,
                    stage,
                );
                push_http(
                    o,
                    h,
                    Flow {
                        client_next,
                        ..Flow::default()
                    },
                );
                idx = o.s.http.len() - 1;
                self.http.insert(key, (id, idx));
            }
        }
        idx
    }
}

/// A transfer's record and its stream state go in side by side (`Open::http_flows`).
fn push_http(o: &mut Open, h: HttpTransfer, f: Flow) {
    push_lean(&mut o.s.http, h);
    push_lean(&mut o.http_flows, f);
}

impl Flow {
    /// Account a client segment; say whether it carries anything new.
    fn client_segment(&mut self, seq: u32, len: usize) -> ClientSegment {
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

    /// One segment of transfer `h`, either direction. Returns the event text: the request
    /// seen, or the transfer's status changing.
    fn on_segment(
        &mut self,
        h: &mut HttpTransfer,
        t: &TcpSegment<'_>,
        from_server: bool,
        retransmitted: bool,
        frame: FrameRef,
        ts: i64,
    ) -> Option<String> {
        let mut ev = None;
        h.last_frame = frame;
        if ts > h.end.0 {
            h.end = Timestamp(ts);
        }
        let before = h.status;
        if from_server {
            if self.on_server_data(h, t.seq, t.payload) {
                h.last_progress = Timestamp(ts);
            }
        } else if !t.payload.is_empty() && !retransmitted {
            let had = !h.method.is_empty();
            self.on_client_data(h, t.payload);
            if !had && !h.method.is_empty() {
                ev = Some(format!("{} {}", h.method, h.url));
            }
        }
        if t.fin {
            self.on_fin(h, from_server);
        }
        if t.rst {
            on_rst(h);
        }
        if h.status != before {
            ev = Some(format!(
                "{}: {} ({} bytes, HTTP {})",
                h.url,
                h.status.name(),
                h.bytes,
                h.status_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into())
            ));
        }
        ev
    }

    fn on_client_data(&mut self, h: &mut HttpTransfer, payload: &[u8]) {
        if self.req.len() >= MAX_HEAD || !h.method.is_empty() {
            return;
        }
        self.req
            .extend_from_slice(&payload[..payload.len().min(MAX_HEAD)]);
        if let Some(end) = find_end(&self.req) {
            let head = String::from_utf8_lossy(&self.req[..end]).into_owned();
            let mut first = head.lines().next().unwrap_or("").split_whitespace();
            h.method = first.next().unwrap_or("").to_string();
            let path = first.next().unwrap_or("").to_string();
            let mut host = header(&head, "host")
                .map(str::to_string)
                .unwrap_or_else(|| h.server.to_string());
            if h.server_port != 80 && !host.contains(':') {
                host = format!("{host}:{}", h.server_port); // firmware often omits the port
            }
            h.url = if path.starts_with("http") {
                path
            } else {
                format!("http://{host}{path}")
            };
        }
    }

    /// Returns whether the segment carried bytes not seen before.
    fn on_server_data(&mut self, h: &mut HttpTransfer, seq: u32, payload: &[u8]) -> bool {
        if payload.is_empty() {
            return false;
        }
        // Only bytes past what we have already seen (retransmissions overlap).
        let next = *self.next_seq.get_or_insert(seq);
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
            self.next_seq = Some(end_seq);
        }
        let mut body = new;
        if !self.head_done {
            let room = MAX_HEAD.saturating_sub(self.resp_head.len());
            self.resp_head
                .extend_from_slice(&new[..new.len().min(room)]);
            match find_end(&self.resp_head) {
                Some(end) => {
                    let head = String::from_utf8_lossy(&self.resp_head[..end]).into_owned();
                    h.status_code = head
                        .lines()
                        .next()
                        .and_then(|l| l.split_whitespace().nth(1))
                        .and_then(|c| c.parse().ok());
                    h.content_length = header(&head, "content-length").and_then(|v| v.parse().ok());
                    self.head_done = true;
                    let consumed_before = self.resp_head.len() - new.len().min(room);
                    let body_start = end.saturating_sub(consumed_before);
                    body = new.get(body_start..).unwrap_or(&[]);
                }
                None => return true,
            }
        }
        h.bytes += body.len() as u64;
        if self.body_head.len() < 1024 {
            let take = body.len().min(1024 - self.body_head.len());
            self.body_head.extend_from_slice(&body[..take]);
            if self.body_head.len() >= 64
                || h.content_length
                    .is_some_and(|c| c <= self.body_head.len() as u64)
            {
                h.file_kind = FileKind::sniff(&self.body_head);
                h.signed = crate::proto::pe_signed(&self.body_head);
            }
        }
        update_status(h);
        true
    }

    fn on_fin(&mut self, h: &mut HttpTransfer, from_server: bool) {
        if from_server {
            // Without a content length, the server closing the stream ends the body.
            if h.status == TransferStatus::Incomplete
                && self.head_done
                && h.content_length.is_none()
                && h.status_code.is_some_and(|c| c < 400)
            {
                h.status = TransferStatus::Complete;
            }
        }
    }
}

fn update_status(h: &mut HttpTransfer) {
    if h.method == "HEAD" && h.status_code.is_some_and(|c| c < 400) {
        // UEFI's size probe: headers only, like the TFTP tsize probe.
        h.status = TransferStatus::Complete;
        return;
    }
    if let Some(code) = h.status_code {
        if code >= 400 {
            h.status = TransferStatus::Error;
            return;
        }
        if h.content_length.is_some_and(|c| h.bytes >= c) {
            h.status = TransferStatus::Complete;
        }
    }
}

fn on_rst(h: &mut HttpTransfer) {
    if h.status == TransferStatus::Incomplete {
        h.reset = true;
        h.status = TransferStatus::Aborted;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> (HttpTransfer, Flow) {
        let h = HttpTransfer::new(
            "192.0.2.100:50000".into(),
            "192.0.2.1".parse().expect("ip"),
            8080,
            FrameRef { input: 0, frame: 1 },
            0,
            Some(0),
        );
        (h, Flow::default())
    }

    #[test]
    fn content_length_transfer_with_retransmission() {
        let (mut h, mut f) = t();
        f.on_client_data(
            &mut h,
            b"GET /bootx64.efi HTTP/1.1\r\nHost: 192.0.2.1:8080\r\n\r\n",
        );
        assert_eq!(h.url, "http://192.0.2.1:8080/bootx64.efi");
        let mut body = vec![0u8; 300];
        body[0] = b'M';
        body[1] = b'Z';
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n".to_vec();
        let mut first = head.clone();
        first.extend_from_slice(&body[..100]);
        f.on_server_data(&mut h, 1000, &first);
        assert_eq!(
            (h.status_code, h.content_length, h.bytes),
            (Some(200), Some(300), 100)
        );
        // a retransmission of the same segment adds nothing (and is no progress)
        assert!(!f.on_server_data(&mut h, 1000, &first));
        assert_eq!(h.bytes, 100);
        f.on_server_data(&mut h, 1000 + first.len() as u32, &body[100..]);
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
        let (mut h, mut f) = t();
        f.on_client_data(&mut h, b"GET /missing HTTP/1.1\r\n\r\n");
        f.on_server_data(
            &mut h,
            5,
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        );
        assert_eq!(h.status, TransferStatus::Error);
        let (mut h, mut f) = t();
        f.on_server_data(
            &mut h,
            u32::MAX - 10,
            b"HTTP/1.0 200 OK\r\n\r\nabcdefghijklmnop",
        );
        assert_eq!(h.bytes, 16, "sequence wrap");
        on_rst(&mut h);
        assert_eq!(h.status, TransferStatus::Aborted);
        let (mut h, mut f) = t();
        f.on_server_data(&mut h, 1, b"HTTP/1.0 200 OK\r\n\r\nbody");
        f.on_fin(&mut h, true);
        assert_eq!(h.status, TransferStatus::Complete);
    }
}
