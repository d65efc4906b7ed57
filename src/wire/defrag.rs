//! Bounded IPv4 reassembly. Written here rather than using etherparse's `IpDefragPool` because that
//! pool is documented as not safe against memory exhaustion and needs a strict `SlicedPacket`,
//! while we slice laxly; TFTP with a blksize above the MTU is the case that needs this.

use rustc_hash::FxHashMap as HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragKey {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub id: u16,
    pub proto: u8,
}

#[derive(Debug, Default)]
struct Pending {
    pieces: Vec<(usize, Vec<u8>)>,
    total: Option<usize>,
    bytes: usize,
    first_ns: i64,
}

/// Reassembles IPv4 fragments; caps concurrent datagrams and bytes, expires by packet time.
#[derive(Debug)]
pub struct Defragmenter {
    pending: HashMap<FragKey, Pending>,
    pub max_datagrams: usize,
    pub timeout_ns: i64,
    pub dropped: u64,
}

impl Default for Defragmenter {
    fn default() -> Self {
        Defragmenter {
            pending: HashMap::default(),
            max_datagrams: 1024,
            timeout_ns: 30_000_000_000,
            dropped: 0,
        }
    }
}

const MAX_DATAGRAM: usize = 65_535;

impl Defragmenter {
    /// Add one fragment; returns the whole IP payload once every byte has arrived.
    pub fn add(
        &mut self,
        key: FragKey,
        offset: usize,
        more: bool,
        data: &[u8],
        now_ns: i64,
    ) -> Option<Vec<u8>> {
        if self.pending.len() >= self.max_datagrams && !self.pending.contains_key(&key) {
            let timeout = self.timeout_ns;
            let before = self.pending.len();
            self.pending
                .retain(|_, p| now_ns.saturating_sub(p.first_ns) < timeout);
            self.dropped += (before - self.pending.len()) as u64;
            if self.pending.len() >= self.max_datagrams {
                self.dropped += 1;
                return None;
            }
        }
        if offset + data.len() > MAX_DATAGRAM {
            self.dropped += 1;
            self.pending.remove(&key);
            return None;
        }
        let p = self.pending.entry(key).or_insert_with(|| Pending {
            first_ns: now_ns,
            ..Default::default()
        });
        if !more {
            p.total = Some(offset + data.len());
        }
        if !p.pieces.iter().any(|(o, _)| *o == offset) {
            p.bytes += data.len();
            p.pieces.push((offset, data.to_vec()));
        }
        let total = p.total?;
        if p.bytes < total {
            return None;
        }
        p.pieces.sort_by_key(|(o, _)| *o);
        let mut out = Vec::with_capacity(total);
        for (o, piece) in &p.pieces {
            if *o > out.len() {
                return None; // a hole: overlapping duplicates inflated the count
            }
            let skip = out.len() - o;
            if let Some(rest) = piece.get(skip..) {
                out.extend_from_slice(rest);
            }
        }
        self.pending.remove(&key);
        out.truncate(total);
        Some(out)
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassembles_out_of_order() {
        let mut d = Defragmenter::default();
        let k = FragKey {
            src: [1, 2, 3, 4],
            dst: [5, 6, 7, 8],
            id: 9,
            proto: 17,
        };
        assert!(d.add(k, 8, false, &[9, 9, 9], 0).is_none());
        let whole = d
            .add(k, 0, true, &[1, 2, 3, 4, 5, 6, 7, 8], 0)
            .expect("complete");
        assert_eq!(whole, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9]);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn bogus_offsets_are_dropped() {
        let mut d = Defragmenter::default();
        let k = FragKey {
            src: [1; 4],
            dst: [2; 4],
            id: 1,
            proto: 17,
        };
        assert!(d.add(k, 65_528, false, &[0; 64], 0).is_none());
        assert_eq!(d.dropped, 1);
    }
}
