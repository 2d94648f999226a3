//! One timed event as the user writes it: a time into the run and a shell command.

use std::time::Duration;

/// A command to run at a point of the load, counted from the run's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedEvent {
    pub at: Duration,
    pub command: String,
}

impl TimedEvent {
    /// An event from its two words, `TIME` (`20s`, `1m30s`, bare seconds) and `COMMAND`.
    pub fn parse(time: &str, command: &str) -> Result<TimedEvent, String> {
        let at = parse_at(time)?;
        if command.trim().is_empty() {
            return Err(format!("--at {time}: the command is empty"));
        }
        Ok(TimedEvent {
            at,
            command: command.to_owned(),
        })
    }

    /// Refuses an event the run will not reach: at or after `run_time` (when the run has one).
    pub fn check_within(&self, run_time: Option<Duration>) -> Result<(), String> {
        match run_time {
            Some(total) if self.at >= total => Err(format!(
                "--at {}s '{}' is not before the run's end (-t {}s)",
                self.at.as_secs_f64(),
                self.command,
                total.as_secs_f64()
            )),
            _ => Ok(()),
        }
    }
}

/// An event time: what `-t` takes (`90s`, `1m30s`, `45`).
pub fn parse_at(text: &str) -> Result<Duration, String> {
    values::parse_run_time(text).map_err(|e| format!("--at: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_bounds() {
        let e = TimedEvent::parse("1m30s", "echo hi").unwrap();
        assert_eq!(e.at, Duration::from_secs(90));
        assert!(TimedEvent::parse("soon", "echo")
            .unwrap_err()
            .contains("soon"));
        assert!(TimedEvent::parse("5s", "  ").unwrap_err().contains("empty"));
        assert!(e.check_within(None).is_ok());
        assert!(e.check_within(Some(Duration::from_secs(91))).is_ok());
        let err = e.check_within(Some(Duration::from_secs(60))).unwrap_err();
        assert!(err.contains("not before the run's end"), "{err}");
    }
}
