//! Cold sessions: an open session quiet for a while, encoded (bitcode) and handed to a store
//! until a packet wakes it or it closes (sessions that went quiet in the same sweep share a
//! blob, and wake together). A boot storm keeps every client open for the idle
//! timeout (300 s of packet time: a machine's next stage may still come), yet almost all of
//! them are done after a few seconds; in memory that was ~10 KB a client, so the tracker's
//! memory grew with every client of the storm. Cold, a session costs its index entries and
//! the store's few bytes of bookkeeping, and waking it gives back exactly what went in.
//!
//! The tracker stays sans-IO: it sees only this trait. `MemoryStore` keeps the bytes in memory
//! (tests, and still ~5× smaller than the live session); `crate::spool::FileStore` keeps them
//! in an unlinked temporary file (`analyze`).

use rustc_hash::FxHashMap as HashMap;
use std::io;

/// Where cold sessions' blobs wait, by a number the tracker never reuses.
pub trait ColdStore: Send {
    fn put(&mut self, blob: u64, bytes: &[u8]) -> io::Result<()>;
    /// Hand back blob `blob`'s bytes and forget them.
    fn take(&mut self, blob: u64) -> io::Result<Option<Vec<u8>>>;
    /// A copy of blob `blob`'s bytes, still kept (live views' snapshots).
    fn peek(&self, blob: u64) -> io::Result<Option<Vec<u8>>>;
}

/// Cold sessions' bytes in memory.
#[derive(Default)]
pub struct MemoryStore {
    blobs: HashMap<u64, Box<[u8]>>,
}

impl ColdStore for MemoryStore {
    fn put(&mut self, blob: u64, bytes: &[u8]) -> io::Result<()> {
        self.blobs.insert(blob, bytes.into());
        Ok(())
    }
    fn take(&mut self, blob: u64) -> io::Result<Option<Vec<u8>>> {
        Ok(self.blobs.remove(&blob).map(Vec::from))
    }
    fn peek(&self, blob: u64) -> io::Result<Option<Vec<u8>>> {
        Ok(self.blobs.get(&blob).map(|b| b.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::DiagConfig;
    use crate::pipeline::Pipeline;
    use crate::session::TrackerConfig;
    use crate::synth::{storm_frames, write_root, StormConfig};

    /// A storm through a tracker whose quiet sessions all go cold (and wake for retries, idle
    /// timeouts and the end) gives the very sessions of one that keeps them all in memory.
    #[test]
    fn cold_sessions_come_back_unchanged() {
        let root = std::env::temp_dir().join(format!("pxe-cold-{}", std::process::id()));
        let cfg = StormConfig {
            seed: 9,
            clients: 60,
            rate: 4.0,
            fail_percent: 40,
            bios_file_bytes: 3_000,
            efi_file_bytes: 5_000,
            ..StormConfig::default()
        };
        write_root(&root, &cfg).expect("root");
        let tcfg = TrackerConfig {
            idle_timeout_ns: 5_000_000_000,
            ..TrackerConfig::default()
        };
        let mut warm = Pipeline::new(tcfg.clone(), DiagConfig::default());
        let mut cold = Pipeline::new(
            TrackerConfig {
                cold_after: 0,
                ..tcfg
            },
            DiagConfig::default(),
        );
        cold.tracker
            .set_cold_store(Box::new(MemoryStore::default()));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut most_cold = 0;
        let mut snapshots = 0;
        for f in storm_frames(cfg, &root).expect("storm") {
            a.extend(warm.push(&f));
            b.extend(cold.push(&f));
            most_cold = most_cold.max(cold.tracker.cold_sessions());
            // A live view's snapshot of a cold session reads it without waking it.
            if let Some(&id) = cold.tracker.cold.keys().next() {
                let before = cold.tracker.cold_sessions();
                let s = cold.tracker.snapshot(id).expect("cold snapshot");
                assert_eq!(s.id, id);
                assert_eq!(cold.tracker.cold_sessions(), before);
                snapshots += 1;
            }
        }
        a.extend(warm.finish());
        b.extend(cold.finish());
        let _ = std::fs::remove_dir_all(&root);
        assert!(
            most_cold >= 10,
            "sessions went cold: at most {most_cold} at once"
        );
        assert!(snapshots > 0);
        assert!(b
            .iter()
            .any(|s| s.closed_by == crate::model::ClosedBy::Idle));
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                serde_json::to_string(x).unwrap(),
                serde_json::to_string(y).unwrap()
            );
        }
        assert!(cold.tracker.cold_errors.is_empty());
    }
}
