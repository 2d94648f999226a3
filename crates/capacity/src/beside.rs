//! [`Beside`]: what the binary watched beside the load, handed to the reports ready-made.
//!
//! Its own module because both report writers need it: `report` (text, JSON, CSV) carries it in
//! [`crate::report::Reports`], and `html` draws its sections. It must depend on neither of them,
//! nor on anything else in this crate.

/// What the search watched beside its load — timed events, servers' resources — already made
/// into report parts by whoever watched them: this crate shows them without knowing what they
/// are (the binary owns `--at` and `--server`).
#[derive(Debug, Clone, Default)]
pub struct Beside {
    /// Blocks printed after the answer.
    pub text: String,
    /// Keys added to the JSON report (`events`, `servers`).
    pub json: serde_json::Map<String, serde_json::Value>,
    /// Sections of the HTML report, after the plateau table.
    pub sections: Vec<engine::report::ExtraSection>,
    /// Where their charts' time axis starts (unix seconds): when the load started.
    pub start_unix: f64,
}
