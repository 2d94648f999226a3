//! Prometheus's text exposition format, read as far as a watch needs: each sample line's metric
//! name and value (labels skipped, timestamps ignored). A line that is not a sample, a comment or
//! blank makes the whole answer garbage: an endpoint that answers HTML or noise is told apart
//! from one that lacks a metric.

use std::collections::BTreeMap;

/// The samples of one scrape, summed by metric name over their label sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition {
    pub values: BTreeMap<String, f64>,
}

impl Exposition {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }
}

/// Reads an exposition; `Err` names the first line that is not Prometheus text.
pub fn parse_exposition(text: &str) -> Result<Exposition, String> {
    let mut exposition = Exposition::default();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = parse_sample(line).ok_or_else(|| {
            let shown: String = line.chars().take(60).collect();
            format!("line {} is not a Prometheus sample: {shown:?}", number + 1)
        })?;
        *exposition.values.entry(name.to_owned()).or_insert(0.0) += value;
    }
    if exposition.values.is_empty() {
        return Err("no sample in the answer".into());
    }
    Ok(exposition)
}

/// `name{labels} value [timestamp]` → (name, value).
fn parse_sample(line: &str) -> Option<(&str, f64)> {
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mut rest = &line[name_end..];
    if rest.starts_with('{') {
        rest = &rest[labels_end(rest)?..];
    }
    let mut words = rest.split_whitespace();
    let value = parse_value(words.next()?)?;
    if let Some(timestamp) = words.next() {
        timestamp.parse::<i64>().ok()?;
    }
    words.next().is_none().then_some((name, value))
}

/// The index just past the `}` closing a label set (quoted values may hold `}` and escapes).
fn labels_end(text: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match (quoted, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (_, false, '"') => quoted = !quoted,
            (false, _, '}') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn parse_value(word: &str) -> Option<f64> {
    match word {
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => word.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_summed_over_labels() {
        let text = "# HELP process_resident_memory_bytes Resident memory size in bytes.\n\
# TYPE process_resident_memory_bytes gauge\n\
process_resident_memory_bytes 1.2345e+08\n\
process_cpu_seconds_total 12.5 1700000000000\n\
http_requests_total{path=\"/a\",note=\"x}y\\\"z\"} 3\n\
http_requests_total{path=\"/b\"} 4\n";
        let e = parse_exposition(text).unwrap();
        assert_eq!(e.get("process_resident_memory_bytes"), Some(1.2345e8));
        assert_eq!(e.get("process_cpu_seconds_total"), Some(12.5));
        assert_eq!(e.get("http_requests_total"), Some(7.0));
    }

    #[test]
    fn garbage_is_refused() {
        for garbage in [
            "<html><body>Not found</body></html>",
            "process_resident_memory_bytes lots",
            "{}",
            "",
            "# only comments",
        ] {
            assert!(parse_exposition(garbage).is_err(), "{garbage:?}");
        }
    }
}
