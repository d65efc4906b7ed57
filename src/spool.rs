//! Temporary files for what would otherwise grow with a capture's clients: the session spools
//! of `-f json` and the table (render), and the cold-session store of the tracker.

use crate::session::ColdStore;
use rustc_hash::FxHashMap as HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// A read-write temporary file already unlinked: its bytes live as long as the handle and are
/// never left behind (session spools of `-f json` and the table).
pub fn unlinked_temp_file() -> std::io::Result<std::fs::File> {
    let path = std::env::temp_dir().join(format!(
        "pxe-inspect-spool-{}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    let _ = std::fs::remove_file(&path);
    Ok(file)
}

/// Cold sessions' bytes in an unlinked temporary file, appended through a 1 MiB buffer (one
/// write per MiB, not one per blob); a blob taken leaves its bytes behind (the file grows by
/// what was put, memory by ~24 bytes per stored blob).
#[derive(Default)]
pub struct FileStore {
    /// Made at the first flush: a capture whose cold sessions fit the buffer never touches
    /// the disk (and an unwritable temp dir only matters to one that needs it).
    file: Option<File>,
    /// Bytes not yet written; they start at file offset `flushed`.
    buf: Vec<u8>,
    flushed: u64,
    at: HashMap<u64, (u64, u32)>,
}

const FLUSH_AT: usize = 1 << 20;

impl FileStore {
    fn read(&self, (offset, len): (u64, u32)) -> io::Result<Vec<u8>> {
        let len = len as usize;
        if offset >= self.flushed {
            let start = (offset - self.flushed) as usize;
            return self
                .buf
                .get(start..start + len)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| io::Error::other("cold store: entry past the buffer"));
        }
        let file = (self.file.as_ref()).ok_or_else(|| io::Error::other("cold store: no file"))?;
        let mut v = vec![0; len];
        file.read_exact_at(&mut v, offset)?;
        Ok(v)
    }
}

impl ColdStore for FileStore {
    fn put(&mut self, blob: u64, bytes: &[u8]) -> io::Result<()> {
        let len = u32::try_from(bytes.len()).map_err(io::Error::other)?;
        if self.buf.len() + bytes.len() > FLUSH_AT && !self.buf.is_empty() {
            let file = match &self.file {
                Some(f) => f,
                None => self.file.insert(unlinked_temp_file().map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("temporary file in {:?}: {e}", std::env::temp_dir()),
                    )
                })?),
            };
            file.write_all_at(&self.buf, self.flushed)?;
            self.flushed += self.buf.len() as u64;
            self.buf.clear();
        }
        let offset = self.flushed + self.buf.len() as u64;
        self.buf.extend_from_slice(bytes);
        self.at.insert(blob, (offset, len));
        Ok(())
    }
    fn take(&mut self, blob: u64) -> io::Result<Option<Vec<u8>>> {
        match self.at.remove(&blob) {
            Some(at) => self.read(at).map(Some),
            None => Ok(None),
        }
    }
    fn peek(&self, blob: u64) -> io::Result<Option<Vec<u8>>> {
        match self.at.get(&blob) {
            Some(at) => self.read(*at).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries come back whole from the buffer and from the file, across a flush.
    #[test]
    fn file_store_gives_back_what_was_put() {
        let mut st = FileStore::default();
        let blob =
            |i: u64| -> Vec<u8> { (0..(i * 7919 % 300_000)).map(|b| (b ^ i) as u8).collect() };
        for i in 0..40 {
            st.put(i, &blob(i)).unwrap();
        }
        assert!(st.flushed > 0, "some entries were written to the file");
        for i in (0..40).rev() {
            assert_eq!(st.peek(i).unwrap(), Some(blob(i)));
            assert_eq!(st.take(i).unwrap(), Some(blob(i)));
            assert_eq!(st.take(i).unwrap(), None);
        }
    }
}
