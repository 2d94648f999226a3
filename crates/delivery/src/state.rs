//! Where a message's recipient was when it was sent: what the ledger records and the report
//! splits counts and latencies by.

/// Where the recipient was when the message was sent. A message to an away recipient can only
/// arrive after it wakes, so its latency is reported apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientState {
    /// Socket open and read.
    Online,
    /// Gone cleanly (socket closed) or by a reset: the mediator knows, or will at its next write.
    Asleep,
    /// Socket left open, nothing read or answered: the mediator may write into it unaware.
    Vanished,
}

impl RecipientState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Asleep => "asleep",
            Self::Vanished => "vanished",
        }
    }
}
