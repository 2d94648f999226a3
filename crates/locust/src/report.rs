//! The `stats` message's payload, made from the engine's [`IntervalStats`] — renaming only.
//!
//! A Python worker fills it in `setup_distributed_stats_event_listeners.on_report_to_master`:
//! `stats` (each entry's `get_stripped_report()`, entries without requests or failures left
//! out), `stats_total`, `errors` (by `StatsError.create_key`), plus `user_count` and
//! `user_classes_count` from `WorkerRunner`. The master's `on_worker_report` adds them into its
//! own entries with `StatsEntry.extend`. Every figure here comes from the engine's one stats
//! model; this module computes none.

use std::collections::BTreeMap;

use engine::{IntervalEntry, IntervalError, IntervalStats};
use rmpv::Value;
use sha2::{Digest, Sha256};

use crate::message::map;
use crate::protocol::classes_value;

/// The whole `stats` payload.
pub fn stats_payload(
    interval: &IntervalStats,
    user_count: u64,
    user_classes_count: &BTreeMap<String, u64>,
) -> Value {
    map([
        (
            "stats",
            Value::Array(interval.entries.iter().map(entry_value).collect()),
        ),
        ("stats_total", entry_value(&interval.total)),
        (
            "errors",
            Value::Map(
                interval
                    .errors
                    .iter()
                    .map(|e| (Value::from(error_key(e)), error_value(e)))
                    .collect(),
            ),
        ),
        ("user_count", Value::from(user_count)),
        ("user_classes_count", classes_value(user_classes_count)),
    ])
}

/// One `StatsEntryDict` (`stats.py`), keys as Locust names them.
fn entry_value(entry: &IntervalEntry) -> Value {
    map([
        ("name", Value::from(entry.name.as_str())),
        ("method", Value::from(entry.kind.as_str())),
        (
            "last_request_timestamp",
            entry
                .last_request_timestamp
                .map(Value::from)
                .unwrap_or(Value::Nil),
        ),
        ("start_time", Value::from(entry.start_time)),
        ("num_requests", Value::from(entry.num_requests)),
        ("num_none_requests", Value::from(entry.num_none_requests)),
        ("num_failures", Value::from(entry.num_failures)),
        (
            "total_response_time",
            Value::from(entry.total_response_time_ms),
        ),
        ("max_response_time", Value::from(entry.max_response_time_ms)),
        (
            "min_response_time",
            entry
                .min_response_time_ms
                .map(Value::from)
                .unwrap_or(Value::Nil),
        ),
        // akrida's samples carry no content length.
        ("total_content_length", Value::from(0u64)),
        ("response_times", counts(&entry.response_times)),
        ("num_reqs_per_sec", counts(&entry.num_reqs_per_sec)),
        ("num_fail_per_sec", counts(&entry.num_fail_per_sec)),
    ])
}

/// `{int: int}`: integer keys, as Python's dicts of ints pack (the master reads them with
/// `strict_map_key=False`).
fn counts(values: &BTreeMap<u64, u64>) -> Value {
    Value::Map(
        values
            .iter()
            .map(|(k, n)| (Value::from(*k), Value::from(*n)))
            .collect(),
    )
}

/// One `StatsErrorDict`.
fn error_value(error: &IntervalError) -> Value {
    map([
        ("name", Value::from(error.name.as_str())),
        ("method", Value::from(error.kind.as_str())),
        ("error", Value::from(error.error.as_str())),
        ("occurrences", Value::from(error.occurrences)),
        ("first_seen", Value::from(error.first_seen)),
        ("last_seen", Value::from(error.last_seen)),
    ])
}

/// `StatsError.create_key`: sha256 of `f"{method}.{name}.{error!r}"`, hex. The same key as a
/// Python worker's for the same error, so the master merges them into one failures row.
pub fn error_key(error: &IntervalError) -> String {
    let text = format!("{}.{}.{}", error.kind, error.name, py_repr(&error.error));
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Python's `repr()` of a `str`.
fn py_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_py_printable(c) => out.push(c),
            c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(quote);
    out
}

/// An approximation of Python's `str.isprintable` for non-ASCII: controls, the Latin-1
/// non-breaking space and soft hyphen, separators and unassigned/format characters are escaped
/// by Python; error texts are almost always ASCII, so the common cases suffice.
fn is_py_printable(c: char) -> bool {
    let code = c as u32;
    if code < 0x7f {
        return code >= 0x20;
    }
    !(c.is_control()
        || code == 0xa0
        || code == 0xad
        || (0x2000..=0x200f).contains(&code)
        || (0x2028..=0x202f).contains(&code)
        || code == 0x3000
        || code == 0xfeff
        || (0xd800..=0xdfff).contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::get;

    fn entry(name: &str) -> IntervalEntry {
        IntervalEntry {
            kind: "didcomm".into(),
            name: name.into(),
            start_time: 100.0,
            last_request_timestamp: Some(102.5),
            num_requests: 3,
            num_none_requests: 0,
            num_failures: 1,
            total_response_time_ms: 31.5,
            min_response_time_ms: Some(5.25),
            max_response_time_ms: 16.0,
            response_times: [(5, 1), (10, 1), (16, 1)].into(),
            num_reqs_per_sec: [(101, 2), (102, 1)].into(),
            num_fail_per_sec: [(102, 1)].into(),
        }
    }

    #[test]
    fn payload_has_the_keys_the_master_reads() {
        let error = IntervalError {
            kind: "didcomm".into(),
            name: "ping_mediator".into(),
            error: "no answer within 20s".into(),
            occurrences: 1,
            first_seen: 102.0,
            last_seen: 102.0,
        };
        let interval = IntervalStats {
            entries: vec![entry("ping_mediator")],
            total: entry("Aggregated"),
            errors: vec![error.clone()],
        };
        let classes = [("MediatorPing".to_owned(), 7u64)].into();
        let payload = stats_payload(&interval, 7, &classes);
        let stats = get(&payload, "stats").unwrap().as_array().unwrap();
        let first = &stats[0];
        for key in [
            "name",
            "method",
            "last_request_timestamp",
            "start_time",
            "num_requests",
            "num_none_requests",
            "num_failures",
            "total_response_time",
            "max_response_time",
            "min_response_time",
            "total_content_length",
            "response_times",
            "num_reqs_per_sec",
            "num_fail_per_sec",
        ] {
            assert!(get(first, key).is_some(), "{key}");
        }
        let buckets = get(first, "response_times").unwrap().as_map().unwrap();
        assert_eq!(buckets[0], (Value::from(5u64), Value::from(1u64)));
        assert_eq!(get(&payload, "user_count").unwrap().as_u64(), Some(7));
        let errors = get(&payload, "errors").unwrap().as_map().unwrap();
        assert_eq!(errors[0].0.as_str(), Some(error_key(&error).as_str()));
        assert_eq!(get(&errors[0].1, "occurrences").unwrap().as_u64(), Some(1));
    }

    /// Keys computed by Python:
    /// `hashlib.sha256(f"{m}.{n}.{e!r}".encode()).hexdigest()`.
    #[test]
    fn error_keys_match_python() {
        let key = |error: &str| {
            error_key(&IntervalError {
                kind: "GET".into(),
                name: "/".into(),
                error: error.into(),
                occurrences: 1,
                first_seen: 0.0,
                last_seen: 0.0,
            })
        };
        assert_eq!(
            key("boom"),
            "53171db8f106c52fc13ae156893347ab440162e61e399bc9d97a4d5fb992a418"
        );
    }

    #[test]
    fn repr_like_python() {
        assert_eq!(py_repr("boom"), "'boom'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(py_repr("x\ny\\"), "'x\\ny\\\\'");
        assert_eq!(py_repr("\u{1}é"), "'\\x01é'");
    }
}
