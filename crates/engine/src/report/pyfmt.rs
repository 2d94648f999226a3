//! Text formats of Python, so our CSV files read byte-for-byte like Locust's: `repr(float)`,
//! `f"{x:2f}"`, the `csv` module's quoting, and Locust's UTC timestamps.

/// Python's `repr` of a float: the shortest text that reads back as the same number, with `.0` on
/// whole numbers and an exponent (`1e-05`, `1e+16`) outside 1e-4 ≤ |x| < 1e16.
pub fn py_float(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits Python uses, as d.ddde±x.
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exponent) {
        // Fixed notation: place the decimal point `exponent + 1` digits in.
        let point = exponent + 1;
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_owned()
        } else {
            format!("{first}.{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.abs())
    }
}

/// Python's `f"{value:2f}"` (six decimals; the width of 2 never matters for such text).
pub fn py_fixed6(value: f64) -> String {
    format!("{value:.6}")
}

/// One field as Python's `csv.writer` (excel dialect, minimal quoting) writes it.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// One row as Python's `csv.writer` writes it, ending in `\r\n`.
pub fn csv_row<S: AsRef<str>>(fields: impl IntoIterator<Item = S>) -> String {
    let fields: Vec<String> = fields.into_iter().map(|f| csv_field(f.as_ref())).collect();
    let mut row = if fields.len() == 1 && fields[0].is_empty() {
        // Python quotes a lone empty field, or the row would read back as no fields at all.
        "\"\"".to_owned()
    } else {
        fields.join(",")
    };
    row.push_str("\r\n");
    row
}

/// Locust's `format_utc_timestamp`: whole seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_timestamp(unix_seconds: f64) -> String {
    let at = utc_datetime(unix_seconds);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        at.date(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Unix seconds (whole seconds; before the epoch or past year 9999: the epoch) as a UTC time.
pub fn utc_datetime(unix_seconds: f64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds.max(0.0) as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected strings printed by Python 3.11's `repr`.
    #[test]
    fn floats_read_like_python_repr() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (1.0, "1.0"),
            (100.0, "100.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (2.5e-7, "2.5e-07"),
            (1e16, "1e+16"),
            (123_456_789_012_345_680.0, "1.2345678901234568e+17"),
            (1e15, "1000000000000000.0"),
            (500.5, "500.5"),
            (1.234, "1.234"),
            (-3.5, "-3.5"),
            (10.526315789473685, "10.526315789473685"),
        ];
        for (value, want) in cases {
            assert_eq!(py_float(*value), *want);
        }
    }

    #[test]
    fn csv_quoting_matches_python() {
        let row = csv_row(["a,b", "q\"x", "l\nm", "r\rs", " sp", "", "1.0"]);
        assert_eq!(row, "\"a,b\",\"q\"\"x\",\"l\nm\",\"r\rs\", sp,,1.0\r\n");
        assert_eq!(csv_row([""]), "\"\"\r\n");
        assert_eq!(py_fixed6(0.1), "0.100000");
        assert_eq!(py_fixed6(1234.5678), "1234.567800");
    }

    #[test]
    fn utc_timestamps() {
        assert_eq!(utc_timestamp(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(1_700_000_000.9), "2023-11-14T22:13:20Z");
        assert_eq!(utc_timestamp(951_782_400.0), "2000-02-29T00:00:00Z");
    }
}
