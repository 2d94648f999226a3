//! Parsers for values people type into flags, `.env` files and agent commands. Each returns an
//! error that quotes the value and says what would have been accepted; clap prefixes it with the
//! option's name. Shared by the command line and the agent protocol, so `WITH_MEDIATION=no` means
//! the same to `akrida run` as to `akrida agent`.

use std::time::Duration;

pub mod dotenv;

/// Booleans as people write them. owl-akrida read `WITH_MEDIATION="False"` as true (a non-empty
/// string); here `False`, `false`, `0`, `no` and `off` are false.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "on" => Ok(true),
        "false" | "0" | "no" | "n" | "off" => Ok(false),
        _ => Err(format!(
            "{text:?} is not a boolean (use true/false, yes/no, 1/0, on/off)"
        )),
    }
}

/// Locust's run-time format: `90s`, `10m`, `1h30m`, `2h`, or bare seconds (`45`).
pub fn parse_run_time(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("{text:?} is not a duration (examples: 90s, 10m, 1h30m)");
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let value: u64 = number.parse().map_err(|_| bad())?;
        total = total
            .checked_add(value.checked_mul(unit).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// Seconds as a non-negative float (`0.4`, `60`).
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("{text:?} must be a non-negative number of seconds"));
    }
    Ok(value)
}

/// A strictly positive rate (users per second; fractions such as 0.4 allowed).
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let value = parse_seconds(text).map_err(|_| format!("{text:?} is not a number"))?;
    if value <= 0.0 {
        return Err(format!("{text:?} must be greater than 0"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        for t in ["True", "true", "1", "yes", "ON"] {
            assert_eq!(parse_bool(t), Ok(true), "{t}");
        }
        for t in ["False", "false", "0", "no", "off"] {
            assert_eq!(parse_bool(t), Ok(false), "{t}");
        }
        assert!(parse_bool("maybe").unwrap_err().contains("\"maybe\""));
    }

    #[test]
    fn run_times() {
        assert_eq!(parse_run_time("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_run_time("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_run_time("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_run_time("45"), Ok(Duration::from_secs(45)));
        for bad in ["", "5x", "m", "1h30", "-5s"] {
            assert!(parse_run_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_rate("0.4"), Ok(0.4));
        assert!(parse_rate("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("NaN").is_err());
        assert_eq!(parse_seconds("60"), Ok(60.0));
    }
}
