//! serve's HTTP server: the listener and connections (hyper, HTTP/1.1 with keep-alive) on
//! serve's tokio runtime. What to answer is decided by http.rs; this file reads files in large
//! chunks off the runtime thread and carries out the faults (RST, stall).

use super::dhcp::DhcpResponder;
use super::http::{self, Body as PlanBody, ClientVars, HttpFault, Plan};
use super::tftp::FileStore;
use crate::wire::link::{fmt_mac, Mac};
use bytes::Bytes;
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Bytes per read and per body frame: large enough that a 100 MB file is a hundred reads and
/// writes, small enough that a stall fault stops near the middle.
const CHUNK: u64 = 1 << 20;
/// How long a stalled response keeps its connection open before giving up on it.
const STALL_FOR: Duration = Duration::from_secs(120);
/// At most this many connections at once (each holds at most one chunk in memory).
const MAX_CONNECTIONS: usize = 512;

pub struct HttpServer {
    pub store: FileStore,
    pub responder: Arc<Mutex<DhcpResponder>>,
    pub fault: HttpFault,
    pub fault_for: Vec<Mac>,
}

impl HttpServer {
    /// The fault for this peer (TCP carries no MAC: --fault-for goes through its address).
    fn fault_for_peer(&self, ip: IpAddr) -> HttpFault {
        if let (IpAddr::V4(v4), Ok(r)) = (ip, self.responder.lock()) {
            if let Some(f) = r.rule_faults_at(v4) {
                return f.http; // a [[rule]] with faults decides for its clients
            }
        }
        if self.fault == HttpFault::None || self.fault_for.is_empty() {
            return self.fault;
        }
        let hit = self.responder.lock().is_ok_and(|r| {
            r.ip_of
                .iter()
                .any(|(m, a)| IpAddr::V4(*a) == ip && self.fault_for.contains(m))
        });
        if hit {
            self.fault
        } else {
            HttpFault::None
        }
    }

    fn client_vars(&self, ip: IpAddr) -> ClientVars {
        let mut v = ClientVars {
            ip: ip.to_string(),
            ..Default::default()
        };
        let Ok(r) = self.responder.lock() else {
            return v;
        };
        let mac = match ip {
            IpAddr::V4(v4) => r.mac_at.get(&v4).copied(),
            IpAddr::V6(_) => None,
        };
        if let Some(m) = mac {
            v.mac = fmt_mac(&m);
            if let Some((arch, fam)) = r.seen.get(&m) {
                v.arch = arch.map(|a| a.to_string()).unwrap_or_default();
                v.family = fam.name().to_string();
            }
        }
        v
    }
}

pub async fn run(listener: TcpListener, srv: Arc<HttpServer>) {
    let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            // EMFILE and friends: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        use std::sync::atomic::Ordering;
        if open.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            drop(stream);
            continue;
        }
        let fault = srv.fault_for_peer(peer.ip());
        if fault == HttpFault::Reset {
            // Closing with SO_LINGER 0 is a RST, which is what the fault is about.
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        }
        let _ = stream.set_nodelay(true);
        let srv = srv.clone();
        let open = open.clone();
        open.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let svc = {
                let srv = srv.clone();
                service_fn(move |req| {
                    let srv = srv.clone();
                    async move { Ok::<_, io::Error>(answer(&srv, peer, fault, req)) }
                })
            };
            // Title-Case header names: GRUB 2.06's http module matches `Content-Length: `
            // case-sensitively, and without it reads each file until the server closes the
            // connection — 35 s a file behind a keep-alive server (lab cell
            // uefi-http-serve-builtin timed out on GRUB's module lists).
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .title_case_headers(true)
                .keep_alive(true)
                .header_read_timeout(Duration::from_secs(30))
                .serve_connection(TokioIo::new(stream), svc)
                .await;
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

fn answer(
    srv: &HttpServer,
    peer: SocketAddr,
    fault: HttpFault,
    req: Request<Incoming>,
) -> Response<FileBody> {
    let range = req
        .headers()
        .get(hyper::header::RANGE)
        .and_then(|v| v.to_str().ok());
    let method = req.method().as_str();
    let path = req.uri().path();
    let p: Plan = http::plan(
        &srv.store,
        &http::Request {
            method,
            path,
            range,
        },
        fault,
        &|| srv.client_vars(peer.ip()),
    );
    crate::say!(
        "pxe-inspect serve: HTTP {peer} {method} {} -> {} {}",
        path.escape_debug(),
        p.status,
        p.note
    );
    let mut b = Response::builder().status(p.status);
    for (k, v) in &p.headers {
        b = b.header(*k, v.as_str());
    }
    b = b.header(hyper::header::CONTENT_LENGTH, p.content_length);
    let body = FileBody::new(p.body, p.reset_after_headers, p.stall_after);
    b.body(body)
        .unwrap_or_else(|_| Response::new(FileBody::empty()))
}

/// A response body: bytes in memory, or a range of a file read in CHUNK-sized pieces on the
/// blocking pool; with the reset and stall faults.
pub struct FileBody {
    mem: Option<Bytes>,
    file: Option<Arc<std::fs::File>>,
    pos: u64,
    end: u64,
    reset: bool,
    /// Absolute file position (or in-memory offset) after which nothing more is sent.
    stall_at: Option<u64>,
    reading: Option<JoinHandle<io::Result<Bytes>>>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    failed: Option<io::Error>,
}

impl FileBody {
    fn empty() -> FileBody {
        FileBody {
            mem: None,
            file: None,
            pos: 0,
            end: 0,
            reset: false,
            stall_at: None,
            reading: None,
            timer: None,
            failed: None,
        }
    }

    fn new(body: PlanBody, reset: bool, stall_after: Option<u64>) -> FileBody {
        let mut b = FileBody::empty();
        b.reset = reset;
        match body {
            PlanBody::Empty => {}
            PlanBody::Bytes(v) => {
                b.end = v.len() as u64;
                b.mem = Some(Bytes::from(v));
            }
            PlanBody::File { path, start, len } => match std::fs::File::open(&path) {
                Ok(f) => {
                    b.file = Some(Arc::new(f));
                    b.pos = start;
                    b.end = start + len;
                }
                // Content-Length is promised already: end the connection short.
                Err(e) => b.failed = Some(e),
            },
        }
        b.stall_at = stall_after.map(|n| b.pos + n);
        b
    }

    fn start_read(&mut self) {
        let Some(f) = self.file.clone() else { return };
        let stop = self.stall_at.unwrap_or(u64::MAX).min(self.end);
        let (pos, n) = (self.pos, (stop - self.pos).min(CHUNK) as usize);
        self.reading = Some(tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0u8; n];
            let mut got = 0;
            while got < n {
                match f.read_at(&mut buf[got..], pos + got as u64) {
                    Ok(0) => {
                        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file shrank"))
                    }
                    Ok(k) => got += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(Bytes::from(buf))
        }));
    }
}

impl hyper::body::Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if let Some(e) = this.failed.take() {
            return Poll::Ready(Some(Err(e)));
        }
        if this.reset {
            // Let the headers go out first (hyper flushes while the body is pending), then end
            // the connection with an error: dropped with SO_LINGER 0, that is a RST.
            let t = this
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(200))));
            return match t.as_mut().poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(()) => Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "reset by --fault http-error=reset",
                )))),
            };
        }
        if this.stall_at.is_some_and(|s| this.pos >= s) && this.pos < this.end {
            let t = this
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(STALL_FOR)));
            return match t.as_mut().poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(()) => Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "stalled by --fault http-error=stall",
                )))),
            };
        }
        if this.pos >= this.end {
            return Poll::Ready(None);
        }
        if let Some(m) = &this.mem {
            let stop = this.stall_at.unwrap_or(u64::MAX).min(this.end);
            let chunk = m.slice(this.pos as usize..stop as usize);
            this.pos = stop;
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        if this.reading.is_none() {
            this.start_read();
        }
        let Some(h) = this.reading.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(h).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(r) => {
                this.reading = None;
                match r {
                    Ok(Ok(b)) => {
                        this.pos += b.len() as u64;
                        // Read ahead while hyper writes this chunk.
                        if this.pos < this.end && this.stall_at.is_none_or(|s| this.pos < s) {
                            this.start_read();
                        }
                        Poll::Ready(Some(Ok(Frame::data(b))))
                    }
                    Ok(Err(e)) => Poll::Ready(Some(Err(e))),
                    Err(e) => Poll::Ready(Some(Err(io::Error::other(e)))),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        !self.reset && self.failed.is_none() && self.pos >= self.end && self.reading.is_none()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.end.saturating_sub(self.pos))
    }
}
