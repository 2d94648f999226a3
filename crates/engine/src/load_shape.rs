//! Parsers for the load-shape and comparison flags: `--stages`, `--active-share`, `--tolerance`.

use std::fmt;
use std::time::Duration;

use crate::{LoadShape, Stage};

use values::parse_run_time;

/// `--stages 1m:100,5m:1000,1m:0`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stages(pub Vec<Stage>);

impl fmt::Display for Stages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|s| format!("{}s:{}", s.duration.as_secs(), s.users))
            .collect();
        f.write_str(&parts.join(","))
    }
}

pub fn parse_stages(text: &str) -> Result<Stages, String> {
    let mut stages = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (duration, users) = part.split_once(':').ok_or_else(|| {
            format!("stage {part:?} is not DURATION:USERS (e.g. 1m:100,5m:1000,1m:0)")
        })?;
        let duration = parse_run_time(duration).map_err(|e| format!("stage {part:?}: {e}"))?;
        let users: usize = users
            .trim()
            .parse()
            .map_err(|_| format!("stage {part:?}: {users:?} is not a number of users"))?;
        stages.push(Stage { duration, users });
    }
    if stages.is_empty() {
        return Err("no stages given (e.g. 1m:100,5m:1000,1m:0)".into());
    }
    Ok(Stages(stages))
}

/// A share in (0, 1]: `0.5` or `50%`.
pub fn parse_share(text: &str) -> Result<f64, String> {
    let value = parse_share_any(text)?;
    if value <= 0.0 || value > 1.0 {
        return Err(format!("{text:?} must be above 0 and at most 1 (or 100%)"));
    }
    Ok(value)
}

/// A non-negative fraction: `0.1` or `10%`.
pub fn parse_share_any(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let (number, scale) = match trimmed.strip_suffix('%') {
        Some(n) => (n, 0.01),
        None => (trimmed, 1.0),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a fraction (0.5) or a percentage (50%)"))?;
    let value = value * scale;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("{text:?} must be a non-negative fraction"));
    }
    Ok(value)
}

/// The engine's shape from the flags.
pub fn shape(step: Option<(usize, Duration)>, stages: Option<&Stages>) -> LoadShape {
    match (step, stages) {
        (_, Some(stages)) => LoadShape::Stages(stages.0.clone()),
        (Some((users, every)), None) => LoadShape::Steps { users, every },
        (None, None) => LoadShape::Constant,
    }
}

/// The load in one line, as the run announces it: "10 users at 2/s", "+5 users every 10s up to
/// 50 (at 1/s)", "stages …", with the open model's rate and the active share when they apply.
pub struct Described<'a> {
    pub users: usize,
    pub spawn_rate: f64,
    pub step: Option<(usize, Duration)>,
    pub stages: Option<&'a Stages>,
    pub arrival_rate: Option<f64>,
    pub active_share: f64,
}

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(stages) = self.stages {
            return write!(f, "stages {stages}");
        }
        match self.step {
            Some((n, every)) => write!(
                f,
                "+{n} users every {}s up to {} (at {}/s)",
                every.as_secs_f64(),
                self.users,
                self.spawn_rate
            )?,
            None => write!(f, "{} users at {}/s", self.users, self.spawn_rate)?,
        }
        if let Some(rate) = self.arrival_rate {
            write!(f, ", open model: {rate} iterations/s")?;
        }
        if self.active_share < 1.0 {
            write!(f, ", {:.0}% active each second", self.active_share * 100.0)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_shares_and_tolerances() {
        let stages = parse_stages("1m:100, 5m:1000,30s:0").unwrap();
        assert_eq!(stages.0.len(), 3);
        assert_eq!(stages.0[1].duration, Duration::from_secs(300));
        assert_eq!(stages.0[2].users, 0);
        assert_eq!(stages.to_string(), "60s:100,300s:1000,30s:0");
        assert!(parse_stages("1m").unwrap_err().contains("DURATION:USERS"));
        assert!(parse_stages("1x:3").is_err());
        assert!(parse_stages("1m:lots").is_err());
        assert_eq!(parse_share("50%").unwrap(), 0.5);
        assert_eq!(parse_share("0.25").unwrap(), 0.25);
        assert!(parse_share("0").is_err());
        assert!(parse_share("150%").is_err());
        assert!((parse_share_any("10%").unwrap() - 0.1).abs() < 1e-12);
    }

    #[test]
    fn the_load_in_one_line() {
        let constant = Described {
            users: 10,
            spawn_rate: 2.0,
            step: None,
            stages: None,
            arrival_rate: Some(5.0),
            active_share: 0.5,
        };
        assert_eq!(
            constant.to_string(),
            "10 users at 2/s, open model: 5 iterations/s, 50% active each second"
        );
        let steps = Described {
            step: Some((5, Duration::from_secs(10))),
            arrival_rate: None,
            active_share: 1.0,
            ..constant
        };
        assert_eq!(steps.to_string(), "+5 users every 10s up to 10 (at 2/s)");
    }
}
