#!/usr/bin/env python3
"""Build packet captures of PXE failures the way public field reports describe them.

Every pcap in this folder is written by this script; no bytes come from a third party.
Run:  python3 make.py            (writes *.pcap next to this file)
      python3 make.py OUTDIR     (writes into OUTDIR)

Needs scapy (pip install scapy).  scapy is used only to lay out Ethernet/IP/UDP/IPv6/
ICMPv6/ARP headers and to compute checksums; DHCP, DHCPv6 and TFTP payloads are
encoded here byte by byte, so malformed-on-purpose fields (a boot file name with a
trailing 0xFF, a file field without NUL) come out exactly as intended.

Output is deterministic: fixed timestamps from 2026-01-01T00:00:00Z, fixed MACs
(02:00:00:xx:xx:xx, locally administered), fixed transaction ids, fixed ports and
pseudo-random file contents drawn from SHA-256 of a fixed seed.

See README.md for what each capture holds and which field report it follows.
"""

import hashlib
import ipaddress
import os
import struct
import sys

from scapy.all import ARP, ICMP, IP, UDP, Ether, IPv6, Raw  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_RS,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
)

T0 = 1767225600  # 2026-01-01T00:00:00Z
BCAST_MAC = "ff:ff:ff:ff:ff:ff"

# --------------------------------------------------------------------------------------
# capture container and pcap writer
# --------------------------------------------------------------------------------------


class Capture:
    def __init__(self, name):
        self.name = name
        self.frames = []  # (t, seq, bytes)

    def add(self, t, frame):
        raw = bytes(frame)
        if len(raw) < 60:  # frames as seen on a mirror port: padded to the Ethernet minimum
            raw += b"\x00" * (60 - len(raw))
        self.frames.append((round(t, 6), len(self.frames), raw))

    def write(self, outdir):
        path = os.path.join(outdir, self.name)
        out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        frames = sorted(self.frames)
        base = frames[0][0]  # every capture starts exactly at T0
        for t, _, raw in frames:
            us_total = int(round((t - base) * 1_000_000))
            sec, usec = divmod(us_total, 1_000_000)
            out += struct.pack("<IIII", T0 + sec, usec, len(raw), len(raw))
            out += raw
        with open(path, "wb") as f:
            f.write(out)
        return path, len(self.frames)


class Host:
    """An IPv4 end point: MAC, address and the IP header habits of its stack."""

    def __init__(self, mac, ip="0.0.0.0", ttl=64, df=False, ipid=0, ipid_step=1):
        self.mac = mac
        self.ip = ip
        self.ttl = ttl
        self.df = df
        self.ipid = ipid
        self.ipid_step = ipid_step

    def next_id(self):
        v = self.ipid & 0xFFFF
        self.ipid += self.ipid_step
        return v

    def udp(self, dst_mac, dst_ip, sport, dport, payload, src_ip=None, ttl=None, src_mac=None):
        ip = IP(
            src=src_ip or self.ip,
            dst=dst_ip,
            ttl=ttl if ttl is not None else self.ttl,
            id=self.next_id(),
            flags="DF" if self.df else 0,
        )
        return Ether(src=src_mac or self.mac, dst=dst_mac) / ip / UDP(sport=sport, dport=dport) / Raw(payload)


def linux_server(mac, ip):
    # Linux sets DF on UDP it originates and uses IP id 0 for such datagrams
    return Host(mac, ip, ttl=64, df=True, ipid=0, ipid_step=0)


def uefi_client(mac):
    # EDK2-style stack: TTL 64, DF clear, IP id counting up from a boot-time value
    return Host(mac, "0.0.0.0", ttl=64, df=False, ipid=0xFD6B)


def bios_client(mac):
    # Intel UNDI PXE-2.1 ROM: TTL 20, DF clear, IP id counting up from 0
    return Host(mac, "0.0.0.0", ttl=20, df=False, ipid=0)


def arp_exchange(cap, t, asker, target_ip, answerer_mac, answer_ip=None, sender_ip=None):
    """who-has target_ip tell asker; answered by answerer_mac (if given)."""
    cap.add(
        t,
        Ether(src=asker.mac, dst=BCAST_MAC)
        / ARP(op=1, hwsrc=asker.mac, psrc=sender_ip if sender_ip is not None else asker.ip,
              hwdst="00:00:00:00:00:00", pdst=target_ip),
    )
    if answerer_mac:
        cap.add(
            t + 0.00021,
            Ether(src=answerer_mac, dst=asker.mac)
            / ARP(op=2, hwsrc=answerer_mac, psrc=answer_ip or target_ip, hwdst=asker.mac,
                  pdst=sender_ip if sender_ip is not None else asker.ip),
        )


# --------------------------------------------------------------------------------------
# DHCPv4 encoding
# --------------------------------------------------------------------------------------

MAGIC = b"\x63\x82\x53\x63"
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK = 1, 2, 3, 4, 5, 6


def ip4(a):
    return ipaddress.IPv4Address(a).packed


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def opt(code, value):
    if isinstance(value, str):
        value = value.encode()
    elif isinstance(value, int):
        raise TypeError("give option values as bytes")
    return bytes([code, len(value)]) + value


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def bootp(op, xid, chaddr, opts, secs=0, flags=0x8000, ciaddr="0.0.0.0", yiaddr="0.0.0.0",
          siaddr="0.0.0.0", giaddr="0.0.0.0", hops=0, file=b"", file_raw=None, sname=b"",
          pad_to=300):
    """A BOOTP/DHCP message. opts is a list of already encoded options (see opt())."""
    if file_raw is not None:
        assert len(file_raw) == 128
        filefield = file_raw
    else:
        filefield = file.encode() if isinstance(file, str) else file
        filefield = filefield.ljust(128, b"\x00")
    hdr = struct.pack("!BBBBIHH", op, 1, 6, hops, xid, secs, flags)
    hdr += ip4(ciaddr) + ip4(yiaddr) + ip4(siaddr) + ip4(giaddr)
    hdr += mac_bytes(chaddr).ljust(16, b"\x00")
    hdr += sname.ljust(64, b"\x00") + filefield
    msg = hdr + MAGIC + b"".join(opts) + b"\xff"
    if len(msg) < pad_to:
        msg += b"\x00" * (pad_to - len(msg))
    return msg


def guid_for(n):
    # SMBIOS-style system UUID, fixed per client
    return hashlib.sha256(b"pxe-inspect-field-guid-%d" % n).digest()[:16]


UEFI_PRL = bytes([1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54,
                  58, 59, 60, 66, 67, 97] + list(range(128, 136)))
BIOS_PRL = bytes([1, 2, 3, 4, 5, 6, 11, 12, 13, 15, 16, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50,
                  51, 54, 58, 59, 60, 66, 67] + list(range(128, 136)))
IPXE_PRL = bytes([1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119] + list(range(128, 136)) + [175, 203])

UEFI_VCI = "PXEClient:Arch:00007:UNDI:003000"
BIOS_VCI = "PXEClient:Arch:00000:UNDI:002001"


def uefi_discover_opts(guid):
    # option order as an EDK2 UefiPxeBcDxe client sends it: 53 57 55 97 94 93 60
    return [opt(53, b"\x01"), opt(57, u16(1472)), opt(55, UEFI_PRL), opt(97, b"\x00" + guid),
            opt(94, b"\x01\x03\x00"), opt(93, u16(7)), opt(60, UEFI_VCI)]


def uefi_request_opts(guid, server_id, requested):
    return [opt(53, b"\x03"), opt(54, ip4(server_id)), opt(50, ip4(requested)), opt(57, u16(1472)),
            opt(55, UEFI_PRL), opt(97, b"\x00" + guid), opt(94, b"\x01\x03\x00"), opt(93, u16(7)),
            opt(60, UEFI_VCI)]


def bios_discover_opts(guid):
    # Intel UNDI PXE-2.1 order: 53 55 57 97 93 94 60, max message size 1260
    return [opt(53, b"\x01"), opt(55, BIOS_PRL), opt(57, u16(1260)), opt(97, b"\x00" + guid),
            opt(93, u16(0)), opt(94, b"\x01\x02\x01"), opt(60, BIOS_VCI)]


def bios_request_opts(guid, server_id, requested):
    return [opt(53, b"\x03"), opt(50, ip4(requested)), opt(55, BIOS_PRL), opt(57, u16(1260)),
            opt(54, ip4(server_id)), opt(97, b"\x00" + guid), opt(93, u16(0)),
            opt(94, b"\x01\x02\x01"), opt(60, BIOS_VCI)]


def ipxe_opts(msgtype, mac, guid, arch, extra=()):
    """iPXE's own DHCP: 53 57 93 94 60 77 55 175 61 97 (+54 50 in a REQUEST)."""
    if arch == 7:
        vci, ndi = "PXEClient:Arch:00007:UNDI:003010", b"\x01\x03\x0a"
        busid = b"\xb1\x05\x01\x80\x86\x15\x33"  # PCI 8086:1533
    else:
        vci, ndi = "PXEClient:Arch:00000:UNDI:002001", b"\x01\x02\x01"
        busid = b"\xb1\x05\x01\x80\x86\x10\x0e"  # PCI 8086:100e
    feat = busid + b"\xeb\x03\x01\x15\x01"  # version 1.21.1
    for code, val in ((0x17, 1), (0x22, 1), (0x13, 1), (0x11, 1), (0x27, 1), (0x19, 1),
                      (0x10, 2), (0x21, 1), (0x15, 1), (0x18, 1), (0x12, 1)):
        feat += bytes([code, 1, val])
    o = [opt(53, bytes([msgtype])), opt(57, u16(1472)), opt(93, u16(arch)), opt(94, ndi),
         opt(60, vci), opt(77, "iPXE"), opt(55, IPXE_PRL), opt(175, feat),
         opt(61, b"\x01" + mac_bytes(mac)), opt(97, b"\x00" + guid)]
    return o + list(extra)


def lease_opts(server_id, router, lease=86400, domain="lab.test"):
    return [opt(54, ip4(server_id)), opt(51, u32(lease)), opt(58, u32(lease // 2)),
            opt(59, u32(lease * 7 // 8)), opt(1, ip4("255.255.255.0")), opt(3, ip4(router)),
            opt(6, ip4(router)), opt(15, domain), opt(28, ip4(router.rsplit(".", 1)[0] + ".255"))]


def proxy_opts(server_id, guid, extra=()):
    return [opt(54, ip4(server_id)), opt(60, "PXEClient"), opt(97, b"\x00" + guid)] + list(extra)


# PXE vendor options (option 43) as a dnsmasq/pixiecore-style proxy sends them
PXE43_DISCOVERY = (b"\x06\x01\x03"                      # discovery control: no bcast/mcast discovery
                   b"\x08\x07\x80\x00\x01" + ip4("192.168.77.1") +  # boot server type 0x8000 at .1
                   b"\x09\x0b\x80\x00\x08pxelinux"      # boot menu: 0x8000 "pxelinux"
                   b"\x0a\x04\x00PXE"                   # menu prompt, timeout 0
                   b"\xff")
PXE43_BOOT_ITEM = b"\x47\x04\x80\x00\x00\x00\xff"        # boot item type 0x8000 layer 0


# --------------------------------------------------------------------------------------
# TFTP
# --------------------------------------------------------------------------------------


def tftp_rrq(name, options=()):
    if isinstance(name, str):
        name = name.encode()
    b = b"\x00\x01" + name + b"\x00octet\x00"
    for k, v in options:
        b += k.encode() + b"\x00" + str(v).encode() + b"\x00"
    return b


def tftp_oack(options):
    b = b"\x00\x06"
    for k, v in options:
        b += k.encode() + b"\x00" + str(v).encode() + b"\x00"
    return b


def tftp_data(block, data):
    return struct.pack("!HH", 3, block & 0xFFFF) + data


def tftp_ack(block):
    return struct.pack("!HH", 4, block & 0xFFFF)


def tftp_error(code, msg):
    return struct.pack("!HH", 5, code) + msg.encode() + b"\x00"


def file_bytes(name, size):
    out = bytearray()
    if name.endswith(".efi"):
        out += b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    n = 0
    while len(out) < size:
        out += hashlib.sha256(b"%s:%d" % (name.encode(), n)).digest()
        n += 1
    return bytes(out[:size])


def tftp_download(cap, t, client, server, cport, sport, name, data, blksize, server_mac=None,
                  client_mac=None, client_ttl=None, server_ttl=None, extra_opts=(), oack_opts=None,
                  data_gap=0.00038, ack_gap=0.00007):
    """RRQ with blksize (+extra), OACK from a fresh server port, ACK 0, DATA/ACK to the end."""
    smac = server_mac or server.mac
    cmac = client_mac or client.mac
    rrq_opts = [("blksize", blksize)] + list(extra_opts)
    cap.add(t, client.udp(smac, server.ip, cport, 69, tftp_rrq(name, rrq_opts), ttl=client_ttl))
    t += 0.0006
    cap.add(t, server.udp(cmac, client.ip, sport, cport,
                          tftp_oack(oack_opts or [("blksize", blksize)]), ttl=server_ttl))
    t += 0.0001
    cap.add(t, client.udp(smac, server.ip, cport, sport, tftp_ack(0), ttl=client_ttl))
    nblocks = len(data) // blksize + 1
    for blk in range(1, nblocks + 1):
        t += data_gap
        chunk = data[(blk - 1) * blksize: blk * blksize]
        cap.add(t, server.udp(cmac, client.ip, sport, cport, tftp_data(blk, chunk), ttl=server_ttl))
        t += ack_gap
        cap.add(t, client.udp(smac, server.ip, cport, sport, tftp_ack(blk), ttl=client_ttl))
    return t


def tsize_probe(cap, t, client, server, cport, sport, name, size, opts, abort_code, abort_msg,
                server_mac=None, client_mac=None, client_ttl=None, oack=None):
    """Firmware asks for the size first (tsize 0), reads the OACK, then aborts the transfer."""
    smac = server_mac or server.mac
    cmac = client_mac or client.mac
    cap.add(t, client.udp(smac, server.ip, cport, 69, tftp_rrq(name, opts), ttl=client_ttl))
    t += 0.0007
    cap.add(t, server.udp(cmac, client.ip, sport, cport, tftp_oack(oack or [("tsize", size)])))
    t += 0.00012
    cap.add(t, client.udp(smac, server.ip, cport, sport, tftp_error(abort_code, abort_msg),
                          ttl=client_ttl))
    return t


def edk2_fetch(cap, t, client, server, cport, sports, name, data, **kw):
    """EDK2: tsize probe with blksize 1468 + windowsize 4, abort, then the real read.
    The server here does not know windowsize and leaves it out of its OACK."""
    t = tsize_probe(cap, t, client, server, cport, sports[0], name, len(data),
                    [("tsize", 0), ("blksize", 1468), ("windowsize", 4)], 8,
                    "User aborted the transfer", oack=[("tsize", len(data)), ("blksize", 1468)], **kw)
    t += 0.041
    return tftp_download(cap, t, client, server, cport + 1, sports[1], name, data, 1468,
                         extra_opts=[("windowsize", 4)], **kw)


def intel_fetch(cap, t, client, server, cport, sports, name, data, **kw):
    """Intel UNDI ROM: RRQ tsize 0, OACK, ERROR 0 "TFTP Aborted", then RRQ blksize 1456."""
    t = tsize_probe(cap, t, client, server, cport, sports[0], name, len(data), [("tsize", 0)], 0,
                    "TFTP Aborted", **kw)
    t += 0.0016
    return tftp_download(cap, t, client, server, cport + 1, sports[1], name, data, 1456, **kw)


def ipxe_fetch(cap, t, client, server, cport, sport, name, data, **kw):
    """iPXE: RRQ "blksize 1432 tsize 0", OACK with both, ACK 0, DATA."""
    return tftp_download(cap, t, client, server, cport, sport, name, data, 1432,
                         extra_opts=[("tsize", 0)],
                         oack_opts=[("blksize", 1432), ("tsize", len(data))], **kw)


# --------------------------------------------------------------------------------------
# common actors
# --------------------------------------------------------------------------------------

PROXY_MAC = "02:00:00:77:00:01"   # 192.168.77.1: PXE / TFTP / proxyDHCP host
DHCPA_MAC = "02:00:00:77:00:02"   # 192.168.77.2: the site's ordinary DHCP server
ROUTER_MAC = "02:00:00:77:00:fe"  # 192.168.77.254 (and 10.20.0.1 on the far side)
ROUTER_IP = "192.168.77.254"


def client_mac(n):
    return "02:00:00:00:%02x:10" % n


def retrans_times(start, timeouts=(4, 8, 16)):
    """EDK2 / PXE 2.1 DISCOVER schedule: send, wait 4, 8, 16, 32 s -> 0, 4, 12, 28."""
    out = [start]
    for d in timeouts:
        out.append(out[-1] + d)
    return out


# --------------------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------------------


def dual_offer_ignored():
    cap = Capture("dual-offer-ignored.pcap")
    mac, guid = client_mac(1), guid_for(1)
    c = uefi_client(mac)
    a = linux_server(DHCPA_MAC, "192.168.77.2")
    b = linux_server(PROXY_MAC, "192.168.77.1")
    for xid, start in ((0x3A7C91E2, 0.0), (0x6B0F44D9, 61.52)):
        for t in retrans_times(start):
            secs = int(round(t - start))
            cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67,
                             bootp(1, xid, mac, uefi_discover_opts(guid), secs=secs)))
            # proxy B: PXEClient, no address, boot file in the file field and option 67
            cap.add(t + 0.00093, b.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
                2, xid, mac, [opt(53, b"\x02")] + proxy_opts(b.ip, guid, [opt(67, "snponly.efi")]),
                secs=secs, siaddr=b.ip, file="snponly.efi")))
            # DHCP server A: an address, nothing for booting
            cap.add(t + 0.00187, a.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
                2, xid, mac, [opt(53, b"\x02")] + lease_opts(a.ip, ROUTER_IP),
                secs=secs, yiaddr="192.168.77.101")))
    return cap


def relay_reply_misrouted():
    cap = Capture("relay-reply-misrouted.pcap")
    mac, guid = client_mac(2), guid_for(2)
    relay = Host(ROUTER_MAC, "10.20.0.1", ttl=64, df=False, ipid=0x2210)
    b = linux_server(PROXY_MAC, "192.168.77.1")
    for xid, start in ((0x51E2A006, 0.0), (0x0C93B77D, 61.47)):
        for t in retrans_times(start):
            secs = int(round(t - start))
            # the relay agent's copy of the client's broadcast DISCOVER, unicast to the server
            cap.add(t + 0.00041, relay.udp(PROXY_MAC, b.ip, 67, 67, bootp(
                1, xid, mac, uefi_discover_opts(guid), secs=secs, hops=1, giaddr="10.20.0.1")))
            # the reply is broadcast on the server's own segment instead of going to giaddr:67
            cap.add(t + 0.00135, b.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
                2, xid, mac, [opt(53, b"\x02")] + proxy_opts(b.ip, guid, [opt(67, "snponly.efi")]),
                secs=secs, siaddr=b.ip, giaddr="10.20.0.1", file="snponly.efi")))
    return cap


def relay_reply_ok():
    cap = Capture("relay-reply-ok.pcap")
    mac, guid = client_mac(3), guid_for(3)
    relay = Host(ROUTER_MAC, "10.20.0.1", ttl=64, df=False, ipid=0x4a00)
    srv = linux_server(PROXY_MAC, "192.168.77.1")
    xid, yi = 0x7D1E0C35, "10.20.0.100"
    boot = [opt(66, "192.168.77.1"), opt(67, "bootx64.efi")]
    offer_opts = [opt(54, ip4(srv.ip)), opt(51, u32(43200)), opt(58, u32(21600)), opt(59, u32(37800)),
                  opt(1, ip4("255.255.255.0")), opt(3, ip4("10.20.0.1")), opt(6, ip4("192.168.77.254")),
                  opt(15, "lab.test"), opt(28, ip4("10.20.0.255"))] + boot
    t = 0.0
    cap.add(t + 0.00041, relay.udp(PROXY_MAC, srv.ip, 67, 67, bootp(
        1, xid, mac, uefi_discover_opts(guid), hops=1, giaddr="10.20.0.1")))
    cap.add(t + 0.00122, srv.udp(ROUTER_MAC, "10.20.0.1", 67, 67, bootp(
        2, xid, mac, [opt(53, b"\x02")] + offer_opts, yiaddr=yi, siaddr=srv.ip, giaddr="10.20.0.1",
        file="bootx64.efi")))
    t = 3.4434
    cap.add(t + 0.00039, relay.udp(PROXY_MAC, srv.ip, 67, 67, bootp(
        1, xid, mac, uefi_request_opts(guid, srv.ip, yi), hops=1, giaddr="10.20.0.1")))
    cap.add(t + 0.00131, srv.udp(ROUTER_MAC, "10.20.0.1", 67, 67, bootp(
        2, xid, mac, [opt(53, b"\x05")] + offer_opts, yiaddr=yi, siaddr=srv.ip, giaddr="10.20.0.1",
        file="bootx64.efi")))
    # TFTP is routed: on the server segment the client's packets carry the router's MAC
    # and a TTL one lower than the firmware sent
    routed = uefi_client(ROUTER_MAC)  # the client's frames, as forwarded by the router
    routed.ip = yi
    data = file_bytes("bootx64.efi", 45056)
    edk2_fetch(cap, 3.6131, routed, srv, 1496, (40211, 40212), "bootx64.efi", data, client_ttl=63)
    return cap


def bios_single_server_dora(cap, c, mac, guid, srv, xid, yi, offer_extra, file_field=b"",
                            file_raw=None, siaddr=None, t0=0.0, arp_mac=None, arp=True):
    """Intel BIOS ROM and one DHCP server without opt 60 PXEClient: the ROM retries DISCOVER
    on its 4 s and 8 s timeouts hoping for a PXE answer, then takes the plain offer."""
    siaddr = siaddr or srv.ip
    offer = [opt(53, b"\x02")] + lease_opts(srv.ip, ROUTER_IP) + list(offer_extra)
    for t in retrans_times(t0, (4, 8)):
        cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67,
                         bootp(1, xid, mac, bios_discover_opts(guid), secs=4)))
        cap.add(t + 0.00161, srv.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
            2, xid, mac, offer, secs=4, yiaddr=yi, siaddr=siaddr, file=file_field, file_raw=file_raw)))
    t = t0 + 28.0021
    cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67,
                     bootp(1, xid, mac, bios_request_opts(guid, srv.ip, yi), secs=4)))
    ack = [opt(53, b"\x05")] + offer[1:]
    cap.add(t + 0.00148, srv.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
        2, xid, mac, ack, secs=4, yiaddr=yi, siaddr=siaddr, file=file_field, file_raw=file_raw)))
    c.ip = yi
    t += 0.0412
    if arp:
        arp_exchange(cap, t, c, siaddr, arp_mac or srv.mac)
    return t + 0.0005


def boot_file_trailing_ff():
    cap = Capture("boot-file-trailing-ff.pcap")
    mac, guid = client_mac(4), guid_for(4)
    c = bios_client(mac)
    kea = linux_server(PROXY_MAC, "192.168.77.1")
    # Kea: option 67 without a terminating NUL, the last option before END (0xff)
    t = bios_single_server_dora(cap, c, mac, guid, kea, 0x1C0FFEE4, "192.168.77.130",
                                [opt(66, "192.168.77.1"), opt(67, "pxelinux.0")])
    # the ROM reads option 67 as a C string and picks up the END byte after it
    cap.add(t, c.udp(kea.mac, kea.ip, 2070, 69, tftp_rrq(b"pxelinux.0\xff", [("tsize", 0)])))
    cap.add(t + 0.00071, kea.udp(mac, c.ip, 52081, 2070, tftp_error(1, "File not found")))
    return cap


def boot_file_no_nul():
    cap = Capture("boot-file-no-nul.pcap")
    mac, guid = client_mac(5), guid_for(5)
    c = bios_client(mac)
    srv = linux_server(PROXY_MAC, "192.168.77.1")
    # the BOOTP file field holds the name and then 118 bytes of 0xff: no NUL anywhere
    raw = b"pxelinux.0" + b"\xff" * 118
    t = bios_single_server_dora(cap, c, mac, guid, srv, 0x2E44B019, "192.168.77.131", [],
                                file_raw=raw)
    cap.add(t, c.udp(srv.mac, srv.ip, 2070, 69, tftp_rrq(raw, [("tsize", 0)])))
    cap.add(t + 0.00069, srv.udp(mac, c.ip, 50711, 2070, tftp_error(1, "File not found")))
    return cap


def boot_file_leading_slash_case():
    cap = Capture("boot-file-leading-slash-case.pcap")
    mac, guid = client_mac(6), guid_for(6)
    c = bios_client(mac)
    srv = linux_server(PROXY_MAC, "192.168.77.1")
    t = bios_single_server_dora(cap, c, mac, guid, srv, 0x43A1D00B, "192.168.77.132",
                                [opt(67, "Boot/PXELinux.0")], file_field="Boot/PXELinux.0")
    cap.add(t, c.udp(srv.mac, srv.ip, 2070, 69, tftp_rrq("/boot/pxelinux.0", [("tsize", 0)])))
    cap.add(t + 0.00072, srv.udp(mac, c.ip, 47102, 2070, tftp_error(1, "File not found")))
    return cap


def boot_file_case_mismatch():
    cap = Capture("boot-file-case-mismatch.pcap")
    mac, guid = client_mac(7), guid_for(7)
    c = bios_client(mac)
    srv = linux_server(PROXY_MAC, "192.168.77.1")
    t = bios_single_server_dora(cap, c, mac, guid, srv, 0x43A1D10C, "192.168.77.133",
                                [opt(67, "Boot/PXELinux.0")], file_field="Boot/PXELinux.0")
    # the firmware asks for exactly what it was told; the case-sensitive server has boot/pxelinux.0
    cap.add(t, c.udp(srv.mac, srv.ip, 2070, 69, tftp_rrq("Boot/PXELinux.0", [("tsize", 0)])))
    cap.add(t + 0.00072, srv.udp(mac, c.ip, 47103, 2070, tftp_error(1, "File not found")))
    return cap


def uefi_single_server_dora(cap, c, mac, guid, srv, xid, yi, offer_extra, file_field="", t0=0.0):
    """EDK2 with one DHCP server that gives address and boot file (no opt 60): it collects
    offers for a while, then REQUESTs (same xid)."""
    offer = [opt(53, b"\x02")] + lease_opts(srv.ip, ROUTER_IP) + list(offer_extra)
    cap.add(t0, c.udp(BCAST_MAC, "255.255.255.255", 68, 67, bootp(1, xid, mac, uefi_discover_opts(guid))))
    cap.add(t0 + 0.00158, srv.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
        2, xid, mac, offer, yiaddr=yi, siaddr=srv.ip, file=file_field)))
    t = t0 + 3.4431
    cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67,
                     bootp(1, xid, mac, uefi_request_opts(guid, srv.ip, yi))))
    cap.add(t + 0.00142, srv.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
        2, xid, mac, [opt(53, b"\x05")] + offer[1:], yiaddr=yi, siaddr=srv.ip, file=file_field)))
    c.ip = yi
    t += 0.0507
    arp_exchange(cap, t, c, srv.ip, srv.mac)
    return t + 0.0006


def boot_url_to_pxe_client():
    cap = Capture("boot-url-to-pxe-client.pcap")
    mac, guid = client_mac(8), guid_for(8)
    c = uefi_client(mac)
    srv = linux_server(PROXY_MAC, "192.168.77.1")
    url = "http://192.168.77.1/boot.ipxe"
    t = uefi_single_server_dora(cap, c, mac, guid, srv, 0x0D15EA5E, "192.168.77.140",
                                [opt(67, url)], file_field=url)
    # a plain UEFI PXE client (vendor class PXEClient, no user class iPXE) hands the URL to
    # TFTP as a file name: the size probe is the only transfer it attempts
    cap.add(t, c.udp(srv.mac, srv.ip, 1496, 69,
                     tftp_rrq(url, [("tsize", 0), ("blksize", 1468), ("windowsize", 4)])))
    cap.add(t + 0.00066, srv.udp(mac, c.ip, 43719, 1496, tftp_error(1, "File not found")))
    return cap


def boot_url_to_pxe_client_bios():
    cap = Capture("boot-url-to-pxe-client-bios.pcap")
    mac, guid = client_mac(9), guid_for(9)
    c = bios_client(mac)
    srv = linux_server(PROXY_MAC, "192.168.77.1")
    url = "http://192.168.77.1/boot.ipxe"
    t = bios_single_server_dora(cap, c, mac, guid, srv, 0x3B00C0DE, "192.168.77.141",
                                [opt(67, url)], file_field=url)
    # the ROM opens the URL string as a TFTP file name; nothing on the server answers it
    # (TFTP not running there: the server only serves HTTP) -> RRQ retransmissions, then
    # PXE-E32: TFTP open timeout
    for i, dt in enumerate((0.0, 1.0, 2.0, 4.0)):
        t += dt
        rrq = c.udp(srv.mac, srv.ip, 2070, 69, tftp_rrq(url, [("tsize", 0)]))
        cap.add(t, rrq)
        # the server's kernel refuses: ICMP port unreachable quoting the whole RRQ
        icmp = (Ether(src=srv.mac, dst=mac)
                / IP(src=srv.ip, dst=c.ip, ttl=64, id=0x1F00 + i, flags=0, tos=0xC0)
                / ICMP(type=3, code=3) / Raw(bytes(rrq[IP])))
        cap.add(t + 0.00018, icmp)
    return cap


def tftp_reply_wrong_source():
    """docker-netbootxyz#14: RRQ to the host, answers from the container's bridge address."""
    cap = Capture("tftp-reply-wrong-source.pcap")
    mac, guid = client_mac(10), guid_for(10)
    # the client is a BIOS VM whose NIC ROM is iPXE (RRQ "blksize 1432 tsize 0" from port 1024)
    c = Host(mac, "0.0.0.0", ttl=64, df=False, ipid=0x0100)
    a = linux_server(DHCPA_MAC, "192.168.77.2")
    docker_host_mac = PROXY_MAC
    xid, yi = 0x61D0CAFE, "192.168.77.150"
    boot = [opt(66, "192.168.77.1"), opt(67, "netboot.xyz.kpxe")]
    offer = [opt(53, b"\x02")] + lease_opts(a.ip, ROUTER_IP) + boot
    cap.add(0.0, c.udp(BCAST_MAC, "255.255.255.255", 68, 67,
                       bootp(1, xid, mac, ipxe_opts(1, mac, guid, 0))))
    cap.add(0.00171, a.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
        2, xid, mac, offer, yiaddr=yi, siaddr="192.168.77.1", file="netboot.xyz.kpxe")))
    cap.add(1.0224, c.udp(BCAST_MAC, "255.255.255.255", 68, 67, bootp(
        1, xid, mac, ipxe_opts(3, mac, guid, 0, [opt(54, ip4(a.ip)), opt(50, ip4(yi))]), secs=1)))
    cap.add(1.02402, a.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
        2, xid, mac, [opt(53, b"\x05")] + offer[1:], secs=1, yiaddr=yi, siaddr="192.168.77.1",
        file="netboot.xyz.kpxe")))
    c.ip = yi
    arp_exchange(cap, 1.0511, c, "192.168.77.1", docker_host_mac)
    # container tftpd behind Docker's DNAT: its replies leave the host un-SNATed, from
    # 172.17.0.2 and a fresh port, because conntrack does not tie the new port to port 69
    container = Host(docker_host_mac, "172.17.0.2", ttl=63, df=True, ipid=0, ipid_step=0)
    size = 371712
    t = 1.0518
    rrq_times = [t]
    for gap in (0.382, 0.769, 1.538, 3.075, 6.151):
        rrq_times.append(rrq_times[-1] + gap)
    for n, rt in enumerate(rrq_times):
        cap.add(rt, c.udp(docker_host_mac, "192.168.77.1", 1024, 69,
                          tftp_rrq("netboot.xyz.kpxe", [("blksize", 1432), ("tsize", 0)])))
        sport = 33105 + n * 7
        # each RRQ starts a new transfer in the container; it resends its OACK every second
        for k in range(5):
            ot = rt + 0.00052 + k * 1.0
            cap.add(ot, container.udp(mac, yi, sport, 1024,
                                      tftp_oack([("blksize", 1432), ("tsize", size)])))
    return cap


def dhcpv6_common(cap, mac, duid, server_duid, xid, advertise_opts, n_solicit=4):
    link = "fe80::" + _eui64(mac)
    srv_ll, srv_mac = "fe80::ff:fe77:1", PROXY_MAC
    rtr_ll = "fe80::ff:fe77:fe"
    mb = mac_bytes(mac)
    sol_node = "ff02::1:ff%02x:%02x%02x" % (mb[3], mb[4], mb[5])
    cm = "33:33:ff:%02x:%02x:%02x" % (mb[3], mb[4], mb[5])
    # duplicate address detection for the link-local address, then router solicitation
    cap.add(0.0, Ether(src=mac, dst=cm) / IPv6(src="::", dst=sol_node, hlim=255) / ICMPv6ND_NS(tgt=link))
    cap.add(1.0003, Ether(src=mac, dst="33:33:00:00:00:02") / IPv6(src=link, dst="ff02::2", hlim=255)
            / ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=mac))
    cap.add(1.0008, Ether(src=ROUTER_MAC, dst="33:33:00:00:00:01")
            / IPv6(src=rtr_ll, dst="ff02::1", hlim=255)
            / ICMPv6ND_RA(M=1, O=1, routerlifetime=1800)
            / ICMPv6NDOptPrefixInfo(prefix="fd00:77::", prefixlen=64, L=1, A=0,
                                    validlifetime=86400, preferredlifetime=14400)
            / ICMPv6NDOptSrcLLAddr(lladdr=ROUTER_MAC))
    iaid = mac_bytes(mac)[2:6]
    sol_tail = (d6opt(3, iaid + u32(0xFFFFFFFF) + u32(0xFFFFFFFF))
                + d6opt(6, u16(59) + u16(60) + u16(23) + u16(16))
                + d6opt(62, b"\x01\x03\x00") + d6opt(61, u16(7))
                + d6opt(16, u32(343) + u16(len(UEFI_VCI)) + UEFI_VCI.encode()))
    t = 2.9071
    sends = [t]
    for gap in (4.9931, 9.7402, 19.6213)[: n_solicit - 1]:
        sends.append(sends[-1] + gap)
    for st in sends:
        elapsed = int(round((st - sends[0]) * 100))
        body = d6opt(1, duid) + d6opt(8, u16(min(elapsed, 0xFFFF))) + sol_tail
        sol = b"\x01" + xid.to_bytes(3, "big") + body
        cap.add(st, Ether(src=mac, dst="33:33:00:01:00:02") / IPv6(src=link, dst="ff02::1:2", hlim=128)
                / UDP(sport=546, dport=547) / Raw(sol))
        adv = b"\x02" + xid.to_bytes(3, "big") + d6opt(1, duid) + d6opt(2, server_duid) + advertise_opts(iaid)
        cap.add(st + 0.00026, Ether(src=srv_mac, dst=mac) / IPv6(src=srv_ll, dst=link, hlim=64)
                / UDP(sport=547, dport=546) / Raw(adv))
    return cap


def d6opt(code, data):
    return u16(code) + u16(len(data)) + data


def _eui64(mac):
    b = bytearray(mac_bytes(mac))
    b[0] ^= 0x02
    e = bytes(b[:3]) + b"\xff\xfe" + bytes(b[3:])
    return ":".join("%x" % int.from_bytes(e[i:i + 2], "big") for i in range(0, 8, 2))


def dhcpv6_status_error():
    cap = Capture("dhcpv6-status-error.pcap")
    mac = client_mac(11)
    duid = u16(3) + u16(1) + mac_bytes(mac)            # DUID-LL of the client MAC
    server_duid = u16(3) + u16(1) + mac_bytes(PROXY_MAC)
    url = b"tftp://[fd00:77::1]/ipxe.efi"

    def adv(iaid):
        status = d6opt(13, u16(2) + b"No addresses available")
        return d6opt(3, iaid + u32(0) + u32(0) + status) + d6opt(59, url)

    return dhcpv6_common(cap, mac, duid, server_duid, 0x4E21A7, adv)


def dhcpv6_status_error_toplevel():
    cap = Capture("dhcpv6-status-error-toplevel.pcap")
    mac = client_mac(12)
    duid = u16(4) + guid_for(12)                        # DUID-UUID, what EDK2 sends by default
    server_duid = u16(1) + u16(1) + u32(0x30F1A2B4) + mac_bytes(PROXY_MAC)  # DUID-LLT

    def adv(iaid):
        return d6opt(13, u16(2) + b"no addresses available")

    return dhcpv6_common(cap, mac, duid, server_duid, 0xD14C83, adv)


def ipxe_no_script():
    cap = Capture("ipxe-no-script.pcap")
    mac, guid = client_mac(13), guid_for(13)
    c = uefi_client(mac)
    a = linux_server(DHCPA_MAC, "192.168.77.2")
    tftp = linux_server(PROXY_MAC, "192.168.77.1")
    yi = "192.168.77.121"
    # the site's DHCP server answers PXEClient with next-server + ipxe.efi, but has no
    # branch for user class iPXE (no script URL, no file)
    offer = [opt(53, b"\x02")] + lease_opts(a.ip, ROUTER_IP)
    xid = 0x2F6B11C4
    cap.add(0.0, c.udp(BCAST_MAC, "255.255.255.255", 68, 67, bootp(1, xid, mac, uefi_discover_opts(guid))))
    cap.add(0.00163, a.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
        2, xid, mac, offer, yiaddr=yi, siaddr=tftp.ip, file="ipxe.efi")))
    cap.add(3.4433, c.udp(BCAST_MAC, "255.255.255.255", 68, 67,
                          bootp(1, xid, mac, uefi_request_opts(guid, a.ip, yi))))
    cap.add(3.44471, a.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
        2, xid, mac, [opt(53, b"\x05")] + offer[1:], yiaddr=yi, siaddr=tftp.ip, file="ipxe.efi")))
    c.ip = yi
    arp_exchange(cap, 3.4949, c, tftp.ip, tftp.mac)
    data = file_bytes("ipxe.efi", 201728)
    t = edk2_fetch(cap, 3.4956, c, tftp, 1496, (41733, 41734), "ipxe.efi", data)
    # iPXE starts, and before its own DHCP fetches autoexec.ipxe next to itself, using the
    # address the firmware got ("autoexec.ipxe... Not found")
    t += 1.2177
    cap.add(t, c.udp(tftp.mac, tftp.ip, 56621, 69, tftp_rrq("autoexec.ipxe", [("blksize", 1432), ("tsize", 0)])))
    cap.add(t + 0.00058, tftp.udp(mac, yi, 39017, 56621, tftp_error(1, "File not found")))
    # iPXE's own DHCP: user class iPXE, option 175; the answer names no file, no script
    c.ip = "0.0.0.0"
    c.ipid = 0x0200
    x2 = 0x8E33D201
    t += 0.3312
    for secs, dt in ((0, 0.0), (1, 1.0003)):
        t += dt
        cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67,
                         bootp(1, x2, mac, ipxe_opts(1, mac, guid, 7), secs=secs)))
        cap.add(t + 0.00149, a.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
            2, x2, mac, offer, secs=secs, yiaddr=yi)))
    t += 2.0011
    cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67, bootp(
        1, x2, mac, ipxe_opts(3, mac, guid, 7, [opt(54, ip4(a.ip)), opt(50, ip4(yi))]), secs=3)))
    cap.add(t + 0.00139, a.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
        2, x2, mac, [opt(53, b"\x05")] + offer[1:], secs=3, yiaddr=yi)))
    # then nothing: "Nothing to boot" / "No more network devices"
    return cap


def ipxe_no_script_bios():
    cap = Capture("ipxe-no-script-bios.pcap")
    mac, guid = client_mac(14), guid_for(14)
    c = bios_client(mac)
    a = linux_server(DHCPA_MAC, "192.168.77.2")
    tftp = linux_server(PROXY_MAC, "192.168.77.1")
    yi = "192.168.77.122"
    t = bios_single_server_dora(cap, c, mac, guid, a, 0x5A0B1E77, yi, [], file_field="undionly.kpxe",
                                siaddr=tftp.ip, arp_mac=tftp.mac)
    data = file_bytes("undionly.kpxe", 70776)
    t = intel_fetch(cap, t + 0.0008, c, tftp, 2070, (52301, 52302), "undionly.kpxe", data)
    # undionly.kpxe (iPXE) runs its own DHCP; the server has nothing for user class iPXE
    c.ip, c.ttl, c.ipid = "0.0.0.0", 64, 0x0100
    offer = [opt(53, b"\x02")] + lease_opts(a.ip, ROUTER_IP)
    x2 = 0x29CA4D4E
    t += 0.9127
    for secs, dt in ((0, 0.0), (1, 1.0002)):
        t += dt
        cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67, bootp(1, x2, mac, ipxe_opts(1, mac, guid, 0),
                                                                     secs=secs)))
        cap.add(t + 0.00151, a.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
            2, x2, mac, offer, secs=secs, yiaddr=yi)))
    t += 2.0009
    cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67, bootp(
        1, x2, mac, ipxe_opts(3, mac, guid, 0, [opt(54, ip4(a.ip)), opt(50, ip4(yi))]), secs=3)))
    cap.add(t + 0.00142, a.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
        2, x2, mac, [opt(53, b"\x05")] + offer[1:], secs=3, yiaddr=yi)))
    return cap


def proxy_slow_7th_discover():
    cap = Capture("proxy-slow-7th-discover.pcap")
    mac, guid = client_mac(15), guid_for(15)
    c = bios_client(mac)
    a = linux_server(DHCPA_MAC, "192.168.77.2")
    b = linux_server(PROXY_MAC, "192.168.77.1")
    yi = "192.168.77.160"
    offer_a = [opt(53, b"\x02")] + lease_opts(a.ip, ROUTER_IP)
    # two DHCP cycles: 0 4 12 28 (xid 1), 60 64 72 (xid 2); the 7th DISCOVER is at 72 s
    sends = [(0x0B5E55ED, t) for t in retrans_times(0.0)] + \
            [(0x7E1A7E00, t) for t in retrans_times(60.0, (4, 8))]
    for n, (xid, t) in enumerate(sends, start=1):
        cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67,
                         bootp(1, xid, mac, bios_discover_opts(guid), secs=4)))
        cap.add(t + 0.00158, a.udp(BCAST_MAC, "255.255.255.255", 67, 68,
                                   bootp(2, xid, mac, offer_a, secs=4, yiaddr=yi)))
        if n == 7:
            cap.add(t + 0.41733, b.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
                2, xid, mac, [opt(53, b"\x02")] + proxy_opts(b.ip, guid, [opt(43, PXE43_DISCOVERY)]),
                secs=4, siaddr=b.ip, file="pxelinux.0")))
    xid = sends[-1][0]
    t = sends[-1][1] + 0.4691
    cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67,
                     bootp(1, xid, mac, bios_request_opts(guid, a.ip, yi), secs=4)))
    cap.add(t + 0.00144, a.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
        2, xid, mac, [opt(53, b"\x05")] + offer_a[1:], secs=4, yiaddr=yi)))
    c.ip = yi
    t += 0.0531
    arp_exchange(cap, t, c, b.ip, b.mac)
    t += 0.0006
    # boot server discovery: unicast REQUEST to the proxy's port 4011 (BIOS ROMs send from 68)
    req = [opt(53, b"\x03"), opt(55, BIOS_PRL), opt(57, u16(1260)), opt(97, b"\x00" + guid),
           opt(93, u16(0)), opt(94, b"\x01\x02\x01"), opt(60, BIOS_VCI), opt(43, PXE43_BOOT_ITEM)]
    cap.add(t, c.udp(b.mac, b.ip, 68, 4011, bootp(1, xid, mac, req, secs=4, ciaddr=yi, flags=0)))
    cap.add(t + 0.00039, b.udp(mac, yi, 4011, 68, bootp(
        2, xid, mac, [opt(53, b"\x05")] + proxy_opts(b.ip, guid, [opt(43, PXE43_BOOT_ITEM)]),
        secs=4, flags=0, ciaddr=yi, siaddr=b.ip, file="pxelinux.0")))
    data = file_bytes("pxelinux.0", 46909)
    intel_fetch(cap, t + 0.0471, c, b, 2070, (36311, 36312), "pxelinux.0", data)
    return cap


def dhcp_decline_reason():
    cap = Capture("dhcp-decline-reason.pcap")
    mac, guid = client_mac(16), guid_for(16)
    c = uefi_client(mac)
    srv = linux_server(PROXY_MAC, "192.168.77.1")
    offer_extra = [opt(66, "192.168.77.1"), opt(67, "bootx64.efi")]

    def dora(xid, yi, t0):
        offer = [opt(53, b"\x02")] + lease_opts(srv.ip, ROUTER_IP) + offer_extra
        cap.add(t0, c.udp(BCAST_MAC, "255.255.255.255", 68, 67, bootp(1, xid, mac, uefi_discover_opts(guid))))
        cap.add(t0 + 0.00155, srv.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
            2, xid, mac, offer, yiaddr=yi, siaddr=srv.ip, file="bootx64.efi")))
        t = t0 + 3.4437
        cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67, bootp(
            1, xid, mac, uefi_request_opts(guid, srv.ip, yi))))
        cap.add(t + 0.00141, srv.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
            2, xid, mac, [opt(53, b"\x05")] + offer[1:], yiaddr=yi, siaddr=srv.ip, file="bootx64.efi")))
        return t + 0.0021

    # first lease: the ARP probe for it is answered by the router
    yi1, yi2 = "192.168.77.170", "192.168.77.171"
    t = dora(0x6C0A1D51, yi1, 0.0)
    arp_exchange(cap, t, c, yi1, ROUTER_MAC, sender_ip="0.0.0.0")
    t += 0.0312
    decline = [opt(53, bytes([DECLINE])), opt(50, ip4(yi1)), opt(54, ip4(srv.ip)),
               opt(61, b"\x01" + mac_bytes(mac)), opt(56, "address conflicts with the router")]
    cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67, bootp(1, 0x6C0A1D51, mac, decline, flags=0)))
    # RFC 2131 3.1.5: wait at least 10 s before starting again
    t = dora(0x6C0A1D52, yi2, t + 10.0173)
    # probe for the second address: three ARP probes go unanswered
    for k in range(3):
        arp_exchange(cap, t + k * 0.2, c, yi2, None, sender_ip="0.0.0.0")
    t += 0.6021
    c.ip = yi2
    arp_exchange(cap, t, c, srv.ip, srv.mac)
    data = file_bytes("bootx64.efi", 45056)
    edk2_fetch(cap, t + 0.0007, c, srv, 1496, (40611, 40612), "bootx64.efi", data)
    return cap


def next_server_no_file():
    cap = Capture("next-server-no-file.pcap")
    mac, guid = client_mac(17), guid_for(17)
    c = uefi_client(mac)
    srv = linux_server(PROXY_MAC, "192.168.77.1")
    offer = [opt(53, b"\x02")] + lease_opts(srv.ip, ROUTER_IP)
    # siaddr (next-server) is set, but there is no file and no option 67: EDK2 treats it
    # as a DHCP-only offer without a boot file and never REQUESTs it
    for xid, start in ((0x11B0071E, 0.0), (0x11B0071F, 61.53)):
        for t in retrans_times(start):
            secs = int(round(t - start))
            cap.add(t, c.udp(BCAST_MAC, "255.255.255.255", 68, 67,
                             bootp(1, xid, mac, uefi_discover_opts(guid), secs=secs)))
            cap.add(t + 0.00152, srv.udp(BCAST_MAC, "255.255.255.255", 67, 68, bootp(
                2, xid, mac, offer, secs=secs, yiaddr="192.168.77.180", siaddr=srv.ip)))
    return cap


def next_server_no_file_bios():
    cap = Capture("next-server-no-file-bios.pcap")
    mac, guid = client_mac(18), guid_for(18)
    c = bios_client(mac)
    srv = linux_server(PROXY_MAC, "192.168.77.1")
    # the BIOS ROM takes the lease, then stops: PXE-E53: No boot filename received
    bios_single_server_dora(cap, c, mac, guid, srv, 0x53E53E53, "192.168.77.181", [], arp=False)
    return cap


SCENARIOS = [
    dual_offer_ignored,
    relay_reply_misrouted,
    relay_reply_ok,
    boot_file_trailing_ff,
    boot_file_no_nul,
    boot_file_leading_slash_case,
    boot_file_case_mismatch,
    boot_url_to_pxe_client,
    boot_url_to_pxe_client_bios,
    tftp_reply_wrong_source,
    dhcpv6_status_error,
    dhcpv6_status_error_toplevel,
    ipxe_no_script,
    ipxe_no_script_bios,
    proxy_slow_7th_discover,
    dhcp_decline_reason,
    next_server_no_file,
    next_server_no_file_bios,
]


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(outdir, exist_ok=True)
    for fn in SCENARIOS:
        path, n = fn().write(outdir)
        print("%-40s %5d frames" % (os.path.basename(path), n))


if __name__ == "__main__":
    main()
