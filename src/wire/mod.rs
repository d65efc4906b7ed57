//! Zero-copy decoding of captured bytes, layer by layer. Nothing here panics on input.

pub mod checksum;
pub mod defrag;
pub mod dhcp4;
pub mod dhcp6;
pub mod link;
pub mod tftp;

/// The protocol layer a decode problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    Capture,
    Link,
    Network,
    Transport,
    Dhcp,
    Dhcpv6,
    Tftp,
    Http,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::Capture => "capture",
            Layer::Link => "link",
            Layer::Network => "network",
            Layer::Transport => "transport",
            Layer::Dhcp => "dhcp",
            Layer::Dhcpv6 => "dhcpv6",
            Layer::Tftp => "tftp",
            Layer::Http => "http",
        }
    }
}
