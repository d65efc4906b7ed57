//! The one file that owns sockets and timers for `serve` (tokio, current-thread). Everything it
//! does with a packet is decided by the sans-IO responders.

use super::dhcp::DhcpResponder;
use super::tftp::{self, FileStore, Incoming, Transfer};
use super::ServeConfig;
use crate::cli::ServeArgs;
use crate::metrics::Metrics;
use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;

fn udp_socket(iface: &str, addr: SocketAddr, broadcast: bool) -> io::Result<std::net::UdpSocket> {
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        // The IPv4 sockets own IPv4: [::]:69 must not take v4-mapped datagrams too.
        s.set_only_v6(true)?;
    }
    s.set_reuse_address(true)?;
    if broadcast {
        s.set_broadcast(true)?;
    }
    // Only this interface: a lab server must not answer on the office LAN by accident.
    s.bind_device(Some(iface.as_bytes()))?;
    s.bind(&addr.into())?;
    s.set_nonblocking(true)?;
    // A rack booting at once sends hundreds of RRQs/DISCOVERs within a millisecond while the
    // loop is busy sending windows; the default ~208 KiB buffer dropped them (500 clients,
    // windowsize 16: up to 177 drops, each a client waiting out a 1 s retry). The kernel caps
    // this at net.core.rmem_max; it is a limit, not an allocation.
    let _ = s.set_recv_buffer_size(4 << 20);
    Ok(s.into())
}

/// The DHCPv6 server socket: [::]:547 on the interface, joined to All_DHCP_Relay_Agents_and_Servers
/// (ff02::1:2), where clients send SOLICIT and REQUEST.
fn dhcp6_socket(iface: &str, port: u16) -> io::Result<std::net::UdpSocket> {
    let s = udp_socket(iface, any6(port), false)?;
    let index = if_index(iface)?;
    s.join_multicast_v6(&Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2), index)?;
    Ok(s)
}

fn if_index(iface: &str) -> io::Result<u32> {
    std::fs::read_to_string(format!("/sys/class/net/{iface}/ifindex"))?
        .trim()
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "ifindex"))
}

/// Ask the kernel for each datagram's destination address (IP_PKTINFO): with several
/// addresses on the interface, a transfer must answer from the one its request went to.
fn set_pktinfo(s: &std::net::UdpSocket) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: setsockopt on a socket we own, with a pointer to a c_int and its size.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_PKTINFO,
            &on as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// recvmsg(2) with IP_PKTINFO: (length, source, our address the datagram was for).
fn recv_pktinfo(
    fd: std::os::fd::RawFd,
    buf: &mut [u8],
) -> io::Result<(usize, SocketAddr, Option<Ipv4Addr>)> {
    // SAFETY: every pointer in msghdr points at a live local of the size given; the kernel
    // writes at most msg_namelen / msg_controllen bytes; cmsgs are walked with the libc macros
    // within msg_controllen and read unaligned.
    unsafe {
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr() as *mut libc::c_void,
            iov_len: buf.len(),
        };
        let mut control = [0u64; 16];
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_name = &mut addr as *mut libc::sockaddr_in as *mut libc::c_void;
        msg.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr() as *mut libc::c_void;
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        let n = libc::recvmsg(fd, &mut msg, 0);
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if addr.sin_family != libc::AF_INET as libc::sa_family_t {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "not IPv4"));
        }
        let src = SocketAddrV4::new(
            Ipv4Addr::from(u32::from_be(addr.sin_addr.s_addr)),
            u16::from_be(addr.sin_port),
        );
        let mut dst = None;
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::IPPROTO_IP && (*c).cmsg_type == libc::IP_PKTINFO {
                let info: libc::in_pktinfo =
                    std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const libc::in_pktinfo);
                // ipi_spec_dst: the local address (for a broadcast, the interface's own).
                let a = Ipv4Addr::from(u32::from_be(info.ipi_spec_dst.s_addr));
                if !a.is_unspecified() {
                    dst = Some(a);
                }
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
        Ok((n as usize, SocketAddr::V4(src), dst))
    }
}

async fn recv_tftp(
    sock: &UdpSocket,
    buf: &mut [u8],
) -> io::Result<(usize, SocketAddr, Option<Ipv4Addr>)> {
    use std::os::fd::AsRawFd;
    let fd = sock.as_raw_fd();
    sock.async_io(tokio::io::Interest::READABLE, || recv_pktinfo(fd, buf))
        .await
}

/// The address a transfer to `client` answers from: the one its request went to, else (no
/// IP_PKTINFO) loopback for loopback clients and the server address.
fn local_for(client: SocketAddr, dst: Option<Ipv4Addr>, server_ip: Ipv4Addr) -> IpAddr {
    IpAddr::V4(match (dst, client) {
        (Some(d), _) if !d.is_broadcast() && !d.is_multicast() => d,
        (_, SocketAddr::V4(a)) if a.ip().is_loopback() => Ipv4Addr::LOCALHOST,
        _ => server_ip,
    })
}

/// For an IPv6 client: our global address when it has one of its own, else any (a link-local
/// client is answered from our link-local address, which the kernel picks on this interface).
fn local_for6(client: SocketAddr, server_ip6: Ipv6Addr) -> IpAddr {
    match client {
        SocketAddr::V6(a) if a.ip().is_unicast_link_local() => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        SocketAddr::V6(a) if a.ip().is_loopback() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        _ => IpAddr::V6(server_ip6),
    }
}

fn bind_hint(what: &str, port: u16, e: &io::Error) -> String {
    let hint = match e.kind() {
        io::ErrorKind::PermissionDenied => "\nhint: run as root, or grant CAP_NET_BIND_SERVICE and CAP_NET_RAW (setcap cap_net_bind_service,cap_net_raw=eip $(command -v pxe-inspect))",
        io::ErrorKind::AddrInUse => "\nhint: another DHCP/TFTP server (dnsmasq, tftpd-hpa) already uses this port on this host",
        _ => "",
    };
    format!("cannot bind the {what} socket to port {port}: {e}{hint}")
}

struct Sockets {
    /// None with --tftp-only.
    dhcp: Option<std::net::UdpSocket>,
    boot: Option<std::net::UdpSocket>,
    tftp: Option<std::net::UdpSocket>,
    /// --http-root: serve's HTTP listener.
    http: Option<std::net::TcpListener>,
    /// --dhcp6-range: DHCPv6 (547), and TFTP and HTTP over IPv6 beside their IPv4 sockets.
    dhcp6: Option<std::net::UdpSocket>,
    tftp6: Option<std::net::UdpSocket>,
    http6: Option<std::net::TcpListener>,
}

/// The wildcard address of each family on `port`.
fn any(port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port))
}

fn any6(port: u16) -> SocketAddr {
    SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0))
}

fn tcp_listener(iface: &str, addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_reuse_address(true)?;
    s.bind_device(Some(iface.as_bytes()))?;
    s.bind(&addr.into())?;
    s.listen(1024)?;
    s.set_nonblocking(true)?;
    Ok(s.into())
}

fn bind_all(cfg: &ServeConfig) -> Result<Sockets, String> {
    let dhcp = if cfg.tftp_only {
        None
    } else {
        Some(
            udp_socket(&cfg.interface, any(cfg.dhcp_port), true)
                .map_err(|e| bind_hint("DHCP", cfg.dhcp_port, &e))?,
        )
    };
    let boot = if !cfg.tftp_only && cfg.bootserver_port != cfg.dhcp_port {
        Some(
            udp_socket(&cfg.interface, any(cfg.bootserver_port), true)
                .map_err(|e| bind_hint("boot-server", cfg.bootserver_port, &e))?,
        )
    } else {
        None
    };
    let tftp = match cfg.tftp_root {
        Some(_) => {
            let s = udp_socket(&cfg.interface, any(cfg.tftp_port), false)
                .map_err(|e| bind_hint("TFTP", cfg.tftp_port, &e))?;
            if let Err(e) = set_pktinfo(&s) {
                crate::say!(
                    "pxe-inspect serve: IP_PKTINFO: {e} (transfers answer from {})",
                    cfg.dhcp.server_ip
                );
            }
            Some(s)
        }
        None => None,
    };
    let http = match cfg.http_root {
        Some(_) => Some(
            tcp_listener(&cfg.interface, any(cfg.http_port))
                .map_err(|e| bind_hint("HTTP", cfg.http_port, &e))?,
        ),
        None => None,
    };
    let (mut dhcp6, mut tftp6, mut http6) = (None, None, None);
    if cfg.dhcp6.is_some() {
        dhcp6 = Some(
            dhcp6_socket(&cfg.interface, cfg.dhcp6_port)
                .map_err(|e| bind_hint("DHCPv6", cfg.dhcp6_port, &e))?,
        );
        if cfg.tftp_root.is_some() {
            tftp6 = Some(
                udp_socket(&cfg.interface, any6(cfg.tftp_port), false)
                    .map_err(|e| bind_hint("TFTP over IPv6", cfg.tftp_port, &e))?,
            );
        }
        if cfg.http_root.is_some() {
            http6 = Some(
                tcp_listener(&cfg.interface, any6(cfg.http_port))
                    .map_err(|e| bind_hint("HTTP over IPv6", cfg.http_port, &e))?,
            );
        }
    }
    Ok(Sockets {
        dhcp,
        boot,
        tftp,
        http,
        dhcp6,
        tftp6,
        http6,
    })
}

// Long on purpose: startup in the order privileges force: sockets, stores, metrics and observer
// opened as root, then give_up_root, then the runtime; each step fails with its own message.
pub fn run(cfg: ServeConfig, a: &ServeArgs) -> i32 {
    let sockets = match bind_all(&cfg) {
        Ok(s) => s,
        Err(e) => {
            crate::say!("pxe-inspect serve: {e}");
            return crate::exit::USAGE;
        }
    };
    let store = match &cfg.tftp_root {
        Some(r) => match FileStore::new(std::path::Path::new(r)) {
            Ok(s) => Some(Arc::new(s)),
            Err(e) => {
                crate::say!("pxe-inspect serve: --tftp-root {r}: {e}");
                return crate::exit::USAGE;
            }
        },
        None => None,
    };
    let http_store = match &cfg.http_root {
        Some(r) => match FileStore::new(std::path::Path::new(r)) {
            Ok(s) => Some(s),
            Err(e) => {
                crate::say!("pxe-inspect serve: --http-root {r}: {e}");
                return crate::exit::USAGE;
            }
        },
        None => None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        if let Err(e) = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst)) {
            crate::say!("pxe-inspect serve: {e}");
            return crate::exit::USAGE;
        }
    }
    let mode = if cfg.dhcp.pool.is_some() {
        "dhcp"
    } else {
        "proxy"
    };
    if cfg.tftp_only {
        crate::say!(
            "pxe-inspect serve: TFTP only on {} ({}), TFTP :{} root {}",
            cfg.interface,
            cfg.dhcp.server_ip,
            cfg.tftp_port,
            cfg.tftp_root.as_deref().unwrap_or("?")
        );
    } else {
        crate::say!(
            "pxe-inspect serve: {mode} mode on {} ({}), DHCP :{}, boot server :{}, TFTP :{}{}",
            cfg.interface,
            cfg.dhcp.server_ip,
            cfg.dhcp_port,
            cfg.bootserver_port,
            cfg.tftp_port,
            cfg.tftp_root
                .as_ref()
                .map(|r| format!(" root {r}"))
                .unwrap_or_else(|| " (no TFTP root: TFTP off)".into())
        );
    }
    if let Some(d6) = &cfg.dhcp6 {
        crate::say!(
            "pxe-inspect serve: DHCPv6 :{} on {} ([{}]), addresses {}-{}{}",
            cfg.dhcp6_port,
            cfg.interface,
            d6.server_ip,
            d6.pool.start,
            d6.pool.end,
            if cfg.tftp_root.is_some() {
                ", TFTP over IPv6"
            } else {
                ""
            }
        );
    }
    if let Some(r) = &cfg.http_root {
        crate::say!(
            "pxe-inspect serve: HTTP :{} root {r}{}",
            cfg.http_port,
            if cfg.dhcp.http_url.is_none() && !cfg.tftp_only {
                format!(" (UEFI HTTP boot clients get {}/FILE)", http_base(&cfg))
            } else {
                String::new()
            }
        );
    }
    // Metrics: bound now, while still root (a port below 1024 is fine); the observer feeds the
    // session counters, the responders serve's own.
    let metrics = a.metrics.map(|addr| {
        let m = Arc::new(Metrics::new(a.sensor.as_deref(), true));
        crate::metrics::start_or_warn(Some(addr), &m);
        m
    });
    // The observer: the capture machinery on the same interface sees what our sockets do not
    // (the other DHCP server's offers and ACKs go to port 68) and renders the sessions.
    // A bad --sink would only end the observer thread: refuse it here, as a usage error.
    if let Some(u) = &a.sink.sink {
        if let Err(e) = crate::sink::clickhouse::Target::parse(u) {
            crate::say!("pxe-inspect serve: {e}");
            return crate::exit::USAGE;
        }
    }
    let observer_ready = Arc::new(AtomicBool::new(false));
    let observer = if a.no_observe {
        None
    } else {
        // The core filter keeps TCP 80 and 8080; our HTTP server may be elsewhere.
        let tcp: Vec<u16> = [cfg.http_port]
            .into_iter()
            .filter(|p| cfg.http_root.is_some() && *p != 80 && *p != 8080)
            .collect();
        let filter = crate::source::live::pxe_filter_tcp(
            &[cfg.dhcp_port, cfg.bootserver_port, cfg.tftp_port],
            &tcp,
        );
        let ocfg = crate::live::ObserveConfig {
            iface: cfg.interface.clone(),
            write: cfg.write.clone(),
            filter: Some(filter),
            output: a.output.clone(),
            diag: a.diag.clone(),
            idle_timeout: 300.0,
            tftp_ports: vec![cfg.tftp_port],
            sink: a.sink.clone(),
            sensor: a.sensor.clone(),
            metrics: metrics.clone(),
            ready: Some(observer_ready.clone()),
            ..Default::default()
        };
        let stop = stop.clone();
        Some(std::thread::spawn(move || {
            let mut out = io::stdout().lock();
            crate::live::observe(&ocfg, &mut out, stop)
        }))
    };
    // The observer opens its capture handle and -w file as root; wait for it (it may fail and
    // never say so: then give up waiting after 5 s).
    let waited = Instant::now();
    while observer.as_ref().is_some_and(|h| !h.is_finished())
        && !observer_ready.load(Ordering::SeqCst)
        && waited.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    if let Err(e) = give_up_root(&cfg, a) {
        crate::say!("pxe-inspect serve: {e}");
        stop.store(true, Ordering::SeqCst);
        if let Some(h) = observer {
            let _ = h.join();
        }
        return crate::exit::USAGE;
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            crate::say!("pxe-inspect serve: {e}");
            return crate::exit::USAGE;
        }
    };
    let deadline = a
        .duration
        .map(|d| Instant::now() + Duration::from_secs_f64(d));
    let res = rt.block_on(serve(
        cfg,
        sockets,
        store,
        http_store,
        stop.clone(),
        deadline,
        metrics,
    ));
    stop.store(true, Ordering::SeqCst);
    drop(rt);
    if let Err(e) = res {
        crate::say!("pxe-inspect serve: {e}");
    }
    match observer.map(|h| h.join()) {
        Some(Ok(Ok(code))) => code,
        Some(Ok(Err(e))) => {
            crate::say!("pxe-inspect serve: observer: {e}");
            crate::exit::OK
        }
        _ => crate::exit::OK,
    }
}

/// Started as root, become `--user` (default nobody) now that sockets, capture handle and
/// files are open. Err only when the drop was asked for explicitly and cannot be done.
fn give_up_root(cfg: &ServeConfig, a: &ServeArgs) -> Result<(), String> {
    use super::privdrop;
    if !privdrop::is_root() {
        return Ok(());
    }
    let explicit = a.user.is_some();
    let user = a.user.clone().unwrap_or_else(|| "nobody".into());
    if user == "root" || user == "0" || user == "0:0" {
        return Ok(());
    }
    let attempt = || -> Result<String, String> {
        let ids = privdrop::lookup(&user)?;
        let keep = privdrop::parse_caps(a.keep_caps.as_deref().unwrap_or(""))?;
        let mut problems =
            privdrop::check_access(ids, cfg.tftp_root.as_deref(), cfg.lease_file.as_deref())?;
        if cfg.http_root.is_some() {
            problems.extend(privdrop::check_access(ids, cfg.http_root.as_deref(), None)?);
        }
        if !problems.is_empty() {
            return Err(format!("user `{user}` {}", problems.join("; ")));
        }
        let mut files: Vec<&str> = cfg.lease_file.iter().map(String::as_str).collect();
        files.extend(a.output.html.as_deref());
        privdrop::hand_over(ids, &files)?;
        privdrop::drop_to(ids, &keep)?;
        Ok(format!(
            "running as {user} (uid {}, gid {}), capabilities kept: {}",
            ids.uid,
            ids.gid,
            if keep.is_empty() {
                "none".to_string()
            } else {
                format!("{keep:?}")
            }
        ))
    };
    match attempt() {
        Ok(msg) => {
            crate::say!("pxe-inspect serve: {msg}");
            Ok(())
        }
        Err(e) if explicit => Err(format!("--user {user}: {e}")),
        Err(e) => {
            crate::say!("pxe-inspect serve: staying root: {e} (give --user NAME to require a drop, or --user root to silence this)");
            Ok(())
        }
    }
}

/// Replace the lease file atomically (write beside it, then rename): a crash or kill -9 in the
/// middle leaves the old file or the new one, never half of one.
fn write_leases(path: &str, text: &str) -> io::Result<()> {
    let tmp = format!("{path}.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

fn now_ns(start: Instant) -> i64 {
    start.elapsed().as_nanos() as i64
}

/// `http://IP[:PORT]` of serve's own HTTP server.
pub fn http_base(cfg: &ServeConfig) -> String {
    http_base_at(IpAddr::V4(cfg.dhcp.server_ip), cfg.http_port)
}

/// `http://HOST[:PORT]` of serve's HTTP server at `ip` (an IPv6 host in brackets, for DHCPv6
/// HTTP boot clients).
fn http_base_at(ip: IpAddr, port: u16) -> String {
    let host = match ip {
        IpAddr::V4(v) => v.to_string(),
        IpAddr::V6(v) => format!("[{v}]"),
    };
    if port == 80 {
        format!("http://{host}")
    } else {
        format!("http://{host}:{port}")
    }
}

// Long on purpose: the select! loop's five arms share every socket, buffer and responder set up
// above; split, setup and loop would pass a dozen values between them.
async fn serve(
    cfg: ServeConfig,
    sockets: Sockets,
    store: Option<Arc<FileStore>>,
    http_store: Option<FileStore>,
    stop: Arc<AtomicBool>,
    deadline: Option<Instant>,
    metrics: Option<Arc<Metrics>>,
) -> Result<(), String> {
    let start = Instant::now();
    let conv = |s: std::net::UdpSocket| {
        UdpSocket::from_std(s)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    };
    let dhcp_sock = match sockets.dhcp {
        Some(s) => Some(conv(s)?),
        None => None,
    };
    let boot_sock = match sockets.boot {
        Some(s) => Some(conv(s)?),
        None => None,
    };
    let tftp_sock = match sockets.tftp {
        Some(s) => Some(conv(s)?),
        None => None,
    };
    let dhcp6_sock = match sockets.dhcp6 {
        Some(s) => Some(conv(s)?),
        None => None,
    };
    let tftp6_sock = match sockets.tftp6 {
        Some(s) => Some(conv(s)?),
        None => None,
    };
    let mut responder6 = cfg.dhcp6.clone().map(|c| {
        let ip6 = c.server_ip;
        let mut r = super::dhcp6::Dhcp6Responder::new(c);
        if cfg.http_root.is_some() && cfg.dhcp.http_url.is_none() {
            r.http_base = Some(http_base_at(IpAddr::V6(ip6), cfg.http_port));
        }
        r
    });
    let server_ip6 = cfg
        .dhcp6
        .as_ref()
        .map(|c| c.server_ip)
        .unwrap_or(Ipv6Addr::UNSPECIFIED);
    let mut dhcp_responder = DhcpResponder::new(cfg.dhcp.clone());
    dhcp_responder.rules = cfg.rules.clone();
    dhcp_responder.menu = cfg.menu.clone();
    if cfg.http_root.is_some() && cfg.dhcp.http_url.is_none() {
        dhcp_responder.http_base = Some(http_base(&cfg));
    }
    let responder = Arc::new(Mutex::new(dhcp_responder));
    // The HTTP server runs beside the UDP loop on the same runtime, ended with it (one
    // server, an IPv4 and with --dhcp6-range an IPv6 listener).
    let mut _http_tasks = vec![];
    if let (Some(l), Some(store)) = (sockets.http, http_store) {
        let srv = Arc::new(super::httpd::HttpServer {
            store,
            responder: responder.clone(),
            fault: cfg.http_fault,
            fault_for: cfg.dhcp.fault_for.clone(),
        });
        for l in std::iter::once(l).chain(sockets.http6) {
            let l = tokio::net::TcpListener::from_std(l).map_err(|e| e.to_string())?;
            _http_tasks.push(AbortOnDrop(tokio::spawn(super::httpd::run(l, srv.clone()))));
        }
    }
    if let Some(lf) = &cfg.lease_file {
        if let Ok(text) = std::fs::read_to_string(lf) {
            if let Ok(mut r) = responder.lock() {
                r.load_leases(&text);
            }
        }
    }
    if let (Some(m), Ok(r)) = (&metrics, responder.lock()) {
        lease_metrics(m, &r, now_ns(start));
    }
    let m = metrics.as_ref();
    let active = Arc::new(AtomicUsize::new(0));
    let per_client: PerClient = Default::default();
    let mut dbuf = vec![0u8; 2048];
    let mut bbuf = vec![0u8; 2048];
    let mut tbuf = vec![0u8; 2048];
    let mut d6buf = vec![0u8; 2048];
    let mut t6buf = vec![0u8; 2048];
    loop {
        if stop.load(Ordering::SeqCst) || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        tokio::select! {
            r = async { match &dhcp_sock { Some(s) => s.recv_from(&mut dbuf).await, None => std::future::pending().await } } => {
                if let (Ok((n, SocketAddr::V4(src))), Some(d)) = (r, &dhcp_sock) {
                    on_dhcp(&cfg, &responder, d, boot_sock.as_ref(), &dbuf[..n], src, cfg.dhcp_port, now_ns(start), m).await;
                }
            }
            r = async { match &boot_sock { Some(s) => s.recv_from(&mut bbuf).await, None => std::future::pending().await } } => {
                if let (Ok((n, SocketAddr::V4(src))), Some(d)) = (r, &dhcp_sock) {
                    on_dhcp(&cfg, &responder, d, boot_sock.as_ref(), &bbuf[..n], src, cfg.bootserver_port, now_ns(start), m).await;
                }
            }
            r = async { match &tftp_sock { Some(s) => recv_tftp(s, &mut tbuf).await, None => std::future::pending().await } } => {
                if let (Ok((n, src, dst)), Some(store), Some(sock)) = (r, &store, &tftp_sock) {
                    let local = local_for(src, dst, cfg.dhcp.server_ip);
                    on_tftp(&cfg, &responder, store, sock, &active, &per_client, &tbuf[..n], src, local, start, m).await;
                }
            }
            r = async { match &dhcp6_sock { Some(s) => s.recv_from(&mut d6buf).await, None => std::future::pending().await } } => {
                if let (Ok((n, SocketAddr::V6(src))), Some(sock), Some(r6)) = (r, &dhcp6_sock, responder6.as_mut()) {
                    for reply in r6.handle(&d6buf[..n], src, now_ns(start)) {
                        if let Err(e) = sock.send_to(&reply.bytes, reply.dst).await {
                            crate::say!("pxe-inspect serve: send to {}: {e}", reply.dst);
                        }
                        crate::say!("pxe-inspect serve: {} -> {}", reply.note, reply.dst);
                    }
                }
            }
            r = async { match &tftp6_sock { Some(s) => s.recv_from(&mut t6buf).await, None => std::future::pending().await } } => {
                if let (Ok((n, src)), Some(store), Some(sock)) = (r, &store, &tftp6_sock) {
                    let local = local_for6(src, server_ip6);
                    on_tftp(&cfg, &responder, store, sock, &active, &per_client, &t6buf[..n], src, local, start, m).await;
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
    // Flush leases on the way out.
    if let (Some(lf), Ok(r)) = (&cfg.lease_file, responder.lock()) {
        let _ = write_leases(lf, &r.leases_text());
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn on_dhcp(
    cfg: &ServeConfig,
    responder: &Arc<Mutex<DhcpResponder>>,
    dhcp: &Arc<UdpSocket>,
    boot: Option<&Arc<UdpSocket>>,
    bytes: &[u8],
    src: SocketAddrV4,
    port: u16,
    now: i64,
    metrics: Option<&Arc<Metrics>>,
) {
    let (replies, leases) = match responder.lock() {
        Ok(mut r) => {
            let out = r.handle(bytes, src, port, now, cfg.dhcp_port, cfg.bootserver_port);
            if let Some(m) = metrics {
                lease_metrics(m, &r, now);
            }
            let leases = if r.leases_changed {
                r.leases_changed = false;
                Some(r.leases_text())
            } else {
                None
            };
            (out, leases)
        }
        Err(_) => return,
    };
    if let (Some(lf), Some(text)) = (&cfg.lease_file, leases) {
        if let Err(e) = write_leases(lf, &text) {
            crate::say!("pxe-inspect serve: lease file {lf}: {e}");
        }
    }
    for r in replies {
        if let Some(m) = metrics {
            m.serve_reply(&r.bytes);
        }
        let sock = if r.from_port == cfg.bootserver_port {
            boot.unwrap_or(dhcp).clone()
        } else {
            dhcp.clone()
        };
        // Send first, log after: the log line is a write(2) to stderr that the client
        // should not wait for (it was most of the reply's tail latency under a flood).
        let line = format!(
            "pxe-inspect serve: {} -> {}{}",
            r.note,
            r.dst,
            if r.delay_ms > 0 {
                format!(" (delayed {} ms by --fault)", r.delay_ms)
            } else {
                String::new()
            }
        );
        if r.delay_ms > 0 {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(r.delay_ms)).await;
                let _ = sock.send_to(&r.bytes, r.dst).await;
            });
        } else if let Err(e) = sock.send_to(&r.bytes, r.dst).await {
            crate::say!("pxe-inspect serve: send to {}: {e}", r.dst);
        }
        crate::say!("{line}");
    }
}

/// Ends a spawned task when serve's loop ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Transfers each client address holds: a flood of RRQs from one host (many source ports)
/// cannot take every slot of --max-transfers from everybody else (--max-transfers-per-client).
type PerClient = Arc<Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>;

#[allow(clippy::too_many_arguments)]
// Long on purpose: the faults and the busy check decide on_request's answer; the spawned task
// must undo exactly the active and per-client counts the Start arm took.
async fn on_tftp(
    cfg: &ServeConfig,
    responder: &Arc<Mutex<DhcpResponder>>,
    store: &Arc<FileStore>,
    sock: &Arc<UdpSocket>,
    active: &Arc<AtomicUsize>,
    per_client: &PerClient,
    bytes: &[u8],
    src: SocketAddr,
    local: IpAddr,
    start: Instant,
    metrics: Option<&Arc<Metrics>>,
) {
    // TFTP carries no MAC: --fault-for applies through the address the client got.
    let faulted = match (cfg.dhcp.fault_for.is_empty(), src, responder.lock()) {
        (true, _, _) => true,
        (false, SocketAddr::V4(a), Ok(r)) => r
            .ip_of
            .iter()
            .any(|(m, ip)| ip == a.ip() && cfg.dhcp.fault_for.contains(m)),
        _ => false,
    };
    let rule_faults = match (src, responder.lock()) {
        (SocketAddr::V4(a), Ok(r)) if !r.rules.is_empty() => r.rule_faults_at(*a.ip()),
        _ => None,
    };
    let faults = match rule_faults {
        // A [[rule]] with faults decides for its clients.
        Some(f) => f.tftp,
        None if faulted => cfg.tftp_faults.clone(),
        None => Default::default(),
    };
    let mine = per_client
        .lock()
        .map(|m| m.get(&src.ip()).copied().unwrap_or(0))
        .unwrap_or(0);
    let busy =
        active.load(Ordering::SeqCst) >= cfg.max_transfers || mine >= cfg.max_transfers_per_client;
    match tftp::on_request(store, bytes, now_ns(start), &faults, busy) {
        Incoming::Reply(r) => {
            // An error answer comes from a fresh TID like any transfer (RFC 1350): clients
            // that match replies by port drop one from 69.
            match udp_socket(&cfg.interface, SocketAddr::new(local, 0), false)
                .and_then(UdpSocket::from_std)
            {
                Ok(tid) => {
                    let _ = tid.send_to(&r, src).await;
                }
                Err(_) => {
                    let _ = sock.send_to(&r, src).await;
                }
            }
        }
        Incoming::Ignore => {}
        Incoming::Start(t, first) => {
            active.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut m) = per_client.lock() {
                *m.entry(src.ip()).or_insert(0) += 1;
            }
            let per_client = per_client.clone();
            let iface = cfg.interface.clone();
            let active = active.clone();
            let metrics = metrics.cloned();
            if let Some(m) = &metrics {
                m.serve_transfer_started();
            }
            tokio::spawn(async move {
                let ok = match transfer(&iface, local, src, *t, first, start).await {
                    Ok(ok) => ok,
                    Err(e) => {
                        crate::say!("pxe-inspect serve: transfer to {src}: {e}");
                        false
                    }
                };
                if let Some(m) = &metrics {
                    m.serve_transfer_ended(ok);
                }
                active.fetch_sub(1, Ordering::SeqCst);
                if let Ok(mut m) = per_client.lock() {
                    if let Some(n) = m.get_mut(&src.ip()) {
                        *n = n.saturating_sub(1);
                        if *n == 0 {
                            m.remove(&src.ip());
                        }
                    }
                }
            });
        }
    }
}

/// One transfer on its own socket: a new TID, as RFC 1350 wants. Ok(true) when it ran to its
/// end (the last block acknowledged), Ok(false) when it gave up or the client went away.
async fn transfer(
    iface: &str,
    bind_ip: IpAddr,
    client: SocketAddr,
    mut t: Transfer,
    first: Vec<Vec<u8>>,
    start: Instant,
) -> io::Result<bool> {
    let sock = UdpSocket::from_std(udp_socket(iface, SocketAddr::new(bind_ip, 0), false)?)?;
    sock.connect(client).await?;
    // A failed send is a lost packet (a firewall's EPERM, ENOBUFS under load): the retransmission
    // timer recovers it. Only "connection refused" (ICMP port unreachable: the client is gone)
    // ends the transfer.
    async fn send_or_lose(sock: &UdpSocket, p: &[u8]) -> io::Result<()> {
        match sock.send(p).await {
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Err(e),
            _ => Ok(()),
        }
    }
    for p in first {
        send_or_lose(&sock, &p).await?;
    }
    let mut buf = vec![0u8; 65536];
    while !t.done {
        let wait = t
            .poll_timeout()
            .map(|d| d - now_ns(start))
            .unwrap_or(0)
            .max(0) as u64;
        tokio::select! {
            r = sock.recv(&mut buf) => {
                match r {
                    Ok(n) => {
                        for p in t.on_packet(&buf[..n], now_ns(start)) {
                            send_or_lose(&sock, &p).await?;
                        }
                    }
                    // ICMP port unreachable surfaces as an error on a connected socket: the client left.
                    Err(_) => break,
                }
            }
            _ = tokio::time::sleep(Duration::from_nanos(wait)) => {
                for p in t.on_timeout(now_ns(start)) {
                    send_or_lose(&sock, &p).await?;
                }
            }
        }
    }
    Ok(t.done && !t.gave_up)
}

/// The pool's addresses in use (bound or held for a REQUEST, not expired) and free.
fn lease_metrics(m: &Metrics, r: &DhcpResponder, now: i64) {
    let Some(p) = &r.cfg.pool else { return };
    let (lo, hi) = (u32::from(p.start), u32::from(p.end));
    let size = u64::from(hi.saturating_sub(lo)) + 1;
    let in_use = r
        .leases
        .values()
        .filter(|l| l.expires_ns > now && (lo..=hi).contains(&u32::from(l.ip)))
        .count() as u64;
    m.serve_leases(in_use, size.saturating_sub(in_use));
}
