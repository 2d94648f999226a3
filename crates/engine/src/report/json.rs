//! The JSON form of a snapshot (`--json`), the basis of baseline comparisons. It is the serde form
//! of [`StatsSnapshot`], so reading it back gives the same figures the CSV and the table show.

use crate::error::EngineError;
use crate::stats::StatsSnapshot;

/// The snapshot as pretty-printed JSON.
pub fn to_json(snapshot: &StatsSnapshot) -> Result<String, EngineError> {
    serde_json::to_string_pretty(snapshot).map_err(EngineError::Json)
}

/// A snapshot read back from [`to_json`]'s output (e.g. a previous run's baseline).
pub fn from_json(text: &str) -> Result<StatsSnapshot, EngineError> {
    serde_json::from_str(text).map_err(EngineError::Json)
}
