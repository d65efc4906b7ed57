//! Test-made network namespaces: a server and a client joined by a veth pair. Traffic stays
//! inside them (192.168.78.0/24, no routes out). Torn down on drop.

use std::process::{Child, Command, Stdio};

pub struct Netns {
    /// Namespace of an address-only DHCP server (udhcpd) bridged to the server's segment.
    pub dhcp: Option<String>,
    pub srv: String,
    pub cli: String,
    pub srv_if: String,
    pub cli_if: String,
    pub dir: std::path::PathBuf,
}

pub const SRV_IP: &str = "192.168.78.1";

fn sh(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

pub fn can_netns() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    root && sh("command -v ip")
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        let id = format!("{}{}", tag, std::process::id() % 100_000);
        let n = Netns {
            dhcp: None,
            srv: format!("pxi-{id}-s"),
            cli: format!("pxi-{id}-c"),
            srv_if: "vs0".into(),
            cli_if: "vc0".into(),
            dir: std::env::temp_dir().join(format!("pxi-{id}")),
        };
        let _ = std::fs::create_dir_all(&n.dir);
        let cmds = [
            format!("ip netns add {}", n.srv),
            format!("ip netns add {}", n.cli),
            format!(
                "ip link add {} netns {} type veth peer name {} netns {}",
                n.srv_if, n.srv, n.cli_if, n.cli
            ),
            format!("ip -n {} addr add {SRV_IP}/24 dev {}", n.srv, n.srv_if),
            format!("ip -n {} link set {} up", n.srv, n.srv_if),
            format!("ip -n {} link set lo up", n.srv),
            format!("ip -n {} link set {} up", n.cli, n.cli_if),
            format!("ip -n {} link set lo up", n.cli),
            format!(
                "ip netns exec {} sysctl -qw net.ipv6.conf.all.disable_ipv6=1",
                n.srv
            ),
            format!(
                "ip netns exec {} sysctl -qw net.ipv6.conf.all.disable_ipv6=1",
                n.cli
            ),
        ];
        for c in &cmds {
            assert!(sh(c), "netns setup failed: {c}");
        }
        n
    }

    /// As `new`, plus a third namespace (192.168.78.2) on a bridge with the server, for a DHCP
    /// server that hands out addresses next to a proxyDHCP (the usual proxy setup).
    pub fn with_dhcp_peer(tag: &str) -> Netns {
        let mut n = Netns::new(tag);
        let d = format!("{}-d", n.srv.trim_end_matches("-s"));
        let cmds = [
            format!("ip netns add {d}"),
            format!("ip -n {} addr del {SRV_IP}/24 dev {}", n.srv, n.srv_if),
            format!("ip -n {} link add br0 type bridge", n.srv),
            format!("ip -n {} link set {} master br0", n.srv, n.srv_if),
            format!(
                "ip link add vs1 netns {} type veth peer name vd0 netns {d}",
                n.srv
            ),
            format!("ip -n {} link set vs1 master br0", n.srv),
            format!("ip -n {} link set vs1 up", n.srv),
            format!("ip -n {} addr add {SRV_IP}/24 dev br0", n.srv),
            format!("ip -n {} link set br0 up", n.srv),
            format!("ip -n {d} addr add 192.168.78.2/24 dev vd0"),
            format!("ip -n {d} link set vd0 up"),
            format!("ip -n {d} link set lo up"),
            format!("ip netns exec {d} sysctl -qw net.ipv6.conf.all.disable_ipv6=1"),
        ];
        n.dhcp = Some(d);
        n.srv_if = "br0".into();
        for c in &cmds {
            assert!(sh(c), "netns setup failed: {c}");
        }
        n
    }

    /// busybox udhcpd in the DHCP peer namespace: addresses .100-.250, no PXE options.
    pub fn udhcpd(&self) -> Child {
        let d = self.dhcp.clone().expect("with_dhcp_peer");
        let conf = self.path("udhcpd.conf");
        let leases = self.path("udhcpd.leases");
        std::fs::write(&leases, "").expect("leases");
        std::fs::write(&conf, format!("start 192.168.78.100\nend 192.168.78.250\ninterface vd0\nlease_file {leases}\npidfile {}\nopt subnet 255.255.255.0\nopt lease 3600\n", self.path("udhcpd.pid"))).expect("conf");
        self.spawn(&d, &["busybox", "udhcpd", "-f", &conf], "udhcpd.log")
    }

    pub fn exec(&self, ns: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]).args(args);
        c
    }

    pub fn spawn(&self, ns: &str, args: &[&str], log: &str) -> Child {
        let f = std::fs::File::create(self.dir.join(log)).expect("log file");
        let e = f.try_clone().expect("clone");
        self.exec(ns, args)
            .stdout(f)
            .stderr(e)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn in netns")
    }

    /// IPv6 on in namespace `ns` (the lab namespaces start with it off) and `addr`/64 on `ifc`,
    /// without duplicate address detection so it is usable at once.
    pub fn enable_ipv6(&self, ns: &str, ifc: &str, addr: &str) {
        for c in [
            format!("ip netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=0"),
            format!("ip netns exec {ns} sysctl -qw net.ipv6.conf.{ifc}.disable_ipv6=0"),
            format!("ip -n {ns} addr add {addr}/64 dev {ifc} nodad"),
        ] {
            assert!(sh(&c), "{c}");
        }
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().to_string()
    }

    /// dnsmasq as full DHCP + TFTP server on the server side, serving `root`.
    pub fn dnsmasq(&self, root: &str, boot: &str) -> Child {
        self.dnsmasq_with(
            root,
            &[
                "--dhcp-range=192.168.78.100,192.168.78.150,255.255.255.0,1h",
                &format!("--dhcp-boot={boot}"),
            ],
        )
    }

    /// dnsmasq with TFTP on `root` and the DHCP behaviour given by `extra` (range, boot rules).
    pub fn dnsmasq_with(&self, root: &str, extra: &[&str]) -> Child {
        let args = [
            "dnsmasq",
            "--no-daemon",
            "--conf-file=/dev/null",
            "--port=0",
            "--bind-interfaces",
            "--user=root",
            "--enable-tftp",
            "--log-dhcp",
        ];
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.push(format!("--interface={}", self.srv_if));
        v.push(format!("--tftp-root={root}"));
        v.push(format!("--dhcp-leasefile={}", self.path("leases")));
        v.push(format!("--pid-file={}", self.path("dnsmasq.pid")));
        v.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
        self.spawn(&self.srv.clone(), &refs, "dnsmasq.log")
    }

    /// A DHCP client with a PXE vendor class (busybox udhcpc) that configures the address.
    pub fn pxe_dhcp(&self, vendor: &str) -> bool {
        let script = self.path("udhcpc.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\n[ \"$1\" = bound ] && ip addr add \"$ip/24\" dev \"$interface\"\nexit 0\n",
        )
        .expect("script");
        let _ = Command::new("chmod").args(["+x", &script]).status();
        self.exec(
            &self.cli,
            &[
                "busybox",
                "udhcpc",
                "-i",
                &self.cli_if,
                "-n",
                "-q",
                "-f",
                "-t",
                "5",
                "-T",
                "1",
                "-V",
                vendor,
                "-s",
                &script,
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in [Some(&self.srv), Some(&self.cli), self.dhcp.as_ref()]
            .into_iter()
            .flatten()
        {
            // kill whatever still runs inside, then remove the namespace
            sh(&format!("ip netns pids {ns} | xargs -r kill -9"));
            sh(&format!("ip netns del {ns}"));
        }
    }
}
