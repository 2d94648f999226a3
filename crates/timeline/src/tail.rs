//! The last bytes of a stream: a command may print megabytes, the report keeps the end.

use tokio::io::{AsyncRead, AsyncReadExt};

/// Keeps the last `limit` bytes written to it, and counts them all.
#[derive(Debug)]
pub(crate) struct Tail {
    limit: usize,
    kept: Vec<u8>,
    total: u64,
}

impl Tail {
    pub(crate) fn new(limit: usize) -> Self {
        Tail {
            limit,
            kept: Vec::new(),
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        self.kept.extend_from_slice(bytes);
        if self.kept.len() > self.limit {
            let cut = self.kept.len() - self.limit;
            self.kept.drain(..cut);
        }
    }

    /// The kept bytes as text (invalid UTF-8, e.g. a character cut in two, replaced).
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.kept).into_owned()
    }

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Reads `stream` to its end into a tail of `limit` bytes.
    pub(crate) async fn read_all(mut stream: impl AsyncRead + Unpin, limit: usize) -> Tail {
        let mut tail = Tail::new(limit);
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            tail.push(&buffer[..n]);
        }
        tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_end_and_counts_everything() {
        let mut tail = Tail::new(4);
        tail.push(b"abc");
        tail.push(b"defg");
        assert_eq!(tail.text(), "defg");
        assert_eq!(tail.total(), 7);
    }
}
