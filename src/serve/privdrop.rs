//! Giving up root once `serve` holds what needs it: the DHCP/4011/TFTP sockets (ports below
//! 1024), the capture handle and the files it writes are opened as root; then the process
//! becomes an unprivileged user and keeps only the capabilities asked for (none by default:
//! transfers bind ephemeral ports, and an open socket or pcap handle needs no capability).
//!
//! Before committing, the target user's access is tried with the effective IDs alone (which root
//! can take back): the TFTP root must be readable and the lease file's directory writable (leases
//! are replaced by rename). If that fails and the user was not asked for explicitly, serve stays
//! root and says why; an explicit `--user` fails instead.

use caps::{CapSet, Capability, CapsHashSet};
use std::ffi::CString;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ids {
    pub uid: u32,
    pub gid: u32,
}

/// `net_raw`, `cap_net_raw` or `CAP_NET_RAW`, comma-separated.
pub fn parse_caps(list: &str) -> Result<Vec<Capability>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let up = s.to_ascii_uppercase();
            let name = if up.starts_with("CAP_") {
                up
            } else {
                format!("CAP_{up}")
            };
            name.parse::<Capability>()
                .map_err(|_| format!("unknown capability `{s}` (e.g. net_raw, net_bind_service)"))
        })
        .collect()
}

/// The user's uid and primary gid, from the passwd database (or numeric `UID[:GID]`).
pub fn lookup(user: &str) -> Result<Ids, String> {
    if let Some((u, g)) = user
        .split_once(':')
        .and_then(|(u, g)| Some((u.parse().ok()?, g.parse().ok()?)))
    {
        return Ok(Ids { uid: u, gid: g });
    }
    if let Ok(uid) = user.parse::<u32>() {
        return Ok(Ids { uid, gid: uid });
    }
    let name = CString::new(user).map_err(|_| format!("bad user name `{user}`"))?;
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwnam_r writes into pw and buf, both alive and sized as passed.
    let rc = unsafe {
        libc::getpwnam_r(
            name.as_ptr(),
            &mut pw,
            buf.as_mut_ptr(),
            buf.len(),
            &mut out,
        )
    };
    if rc != 0 || out.is_null() {
        return Err(format!(
            "no such user `{user}` (give --user NAME, UID[:GID], or root to keep root)"
        ));
    }
    Ok(Ids {
        uid: pw.pw_uid,
        gid: pw.pw_gid,
    })
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Run `check` with the effective IDs of `ids`, then return to root. Errors from the switch
/// itself are errors; `check`'s result is passed through.
fn as_user<T>(ids: Ids, check: impl FnOnce() -> T) -> Result<T, String> {
    // SAFETY: plain syscalls; glibc applies them to every thread of the process.
    unsafe {
        if libc::setegid(ids.gid) != 0 || libc::seteuid(ids.uid) != 0 {
            let e = std::io::Error::last_os_error();
            libc::seteuid(0);
            libc::setegid(0);
            return Err(format!(
                "cannot act as uid {} gid {}: {e}",
                ids.uid, ids.gid
            ));
        }
    }
    let r = check();
    // SAFETY: as above; the real uid is still 0, so taking root back is allowed.
    unsafe {
        if libc::seteuid(0) != 0 || libc::setegid(0) != 0 {
            return Err(format!(
                "cannot take back root: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(r)
}

/// Can `ids` do what serve will do after the drop? Returns what it cannot do.
pub fn check_access(
    ids: Ids,
    tftp_root: Option<&str>,
    lease_file: Option<&str>,
) -> Result<Vec<String>, String> {
    as_user(ids, || {
        let mut problems = vec![];
        if let Some(r) = tftp_root {
            if let Err(e) = std::fs::read_dir(r) {
                problems.push(format!("cannot read the TFTP root {r}: {e}"));
            }
        }
        if let Some(lf) = lease_file {
            let tmp = format!("{lf}.tmp-check");
            match std::fs::write(&tmp, b"") {
                Ok(()) => {
                    let _ = std::fs::remove_file(&tmp);
                }
                Err(e) => {
                    let dir = Path::new(lf)
                        .parent()
                        .map(|d| d.display().to_string())
                        .unwrap_or_default();
                    problems.push(format!("cannot create files next to the lease file (in `{dir}`, leases are replaced by rename): {e}"));
                }
            }
        }
        problems
    })
}

/// Hand files that serve rewrites or writes at exit to the user (they were created as root).
pub fn hand_over(ids: Ids, paths: &[&str]) -> Result<(), String> {
    for p in paths {
        if !Path::new(p).exists() {
            std::fs::write(p, b"").map_err(|e| format!("{p}: {e}"))?;
        }
        std::os::unix::fs::chown(p, Some(ids.uid), Some(ids.gid))
            .map_err(|e| format!("{p}: {e}"))?;
    }
    Ok(())
}

/// Become `ids` for good, keeping `keep` capabilities (permitted and effective).
pub fn drop_to(ids: Ids, keep: &[Capability]) -> Result<(), String> {
    let err = |what: &str| format!("{what}: {}", std::io::Error::last_os_error());
    // SAFETY: plain syscalls; glibc's set*id apply to every thread of the process.
    unsafe {
        if !keep.is_empty() && libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 {
            return Err(err("prctl(PR_SET_KEEPCAPS)"));
        }
        let groups = [ids.gid];
        if libc::setgroups(1, groups.as_ptr()) != 0 {
            return Err(err("setgroups"));
        }
        if libc::setresgid(ids.gid, ids.gid, ids.gid) != 0 {
            return Err(err("setresgid"));
        }
        if libc::setresuid(ids.uid, ids.uid, ids.uid) != 0 {
            return Err(err("setresuid"));
        }
    }
    let set: CapsHashSet = keep.iter().copied().collect();
    caps::set(None, CapSet::Permitted, &set)
        .map_err(|e| format!("keeping capabilities {keep:?}: {e}"))?;
    caps::set(None, CapSet::Effective, &set)
        .map_err(|e| format!("keeping capabilities {keep:?}: {e}"))?;
    let _ = caps::clear(None, CapSet::Inheritable);
    let _ = caps::clear(None, CapSet::Ambient);
    // SAFETY: getresuid writes three u32s.
    let (mut r, mut e, mut s) = (0, 0, 0);
    unsafe { libc::getresuid(&mut r, &mut e, &mut s) };
    if r == 0 || e == 0 || s == 0 {
        return Err("still root after setresuid".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names() {
        assert_eq!(
            parse_caps("net_raw, CAP_NET_BIND_SERVICE").expect("caps"),
            vec![Capability::CAP_NET_RAW, Capability::CAP_NET_BIND_SERVICE]
        );
        assert!(parse_caps("").expect("empty").is_empty());
        assert!(parse_caps("net_magic").is_err());
    }

    #[test]
    fn users() {
        assert_eq!(lookup("root").expect("root"), Ids { uid: 0, gid: 0 });
        assert_eq!(
            lookup("1234:55").expect("numeric"),
            Ids { uid: 1234, gid: 55 }
        );
        assert!(lookup("no-such-user-pxe").is_err());
    }
}
