//! Wallets that sleep, as phones do: a share of the holders goes away and comes back, for
//! durations drawn from distributions, in one of three ways (`--sleep-*`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::Rng;

/// How a holder goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GoAway {
    /// The app closes its WebSocket cleanly (a close frame): the mediator knows at once.
    #[default]
    Close,
    /// The app is suspended: the socket stays open, nothing is read, pings go unanswered. Only
    /// the mediator's heartbeat can notice.
    Vanish,
    /// The network goes: the TCP connection is aborted with a reset (SO_LINGER 0, then close).
    Drop,
}

impl FromStr for GoAway {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "close" => Ok(Self::Close),
            "vanish" => Ok(Self::Vanish),
            "drop" => Ok(Self::Drop),
            _ => Err(format!(
                "{text:?} is not a way to go away (use close, vanish or drop)"
            )),
        }
    }
}

impl fmt::Display for GoAway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Close => "close",
            Self::Vanish => "vanish",
            Self::Drop => "drop",
        })
    }
}

/// A duration drawn at random: `5` (always 5 s), `2-8` (uniform), `exp:5` (exponential with a
/// mean of 5 s, as arrivals of independent events are).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spread {
    Fixed(f64),
    Uniform(f64, f64),
    Exponential(f64),
}

impl FromStr for Spread {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let t = text.trim().to_ascii_lowercase();
        let number = |s: &str| -> Result<f64, String> {
            let s = s.trim().trim_end_matches('s');
            s.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| {
                    format!("{text:?}: {s:?} is not a number of seconds ≥ 0 (use 5, 2-8 or exp:5)")
                })
        };
        if let Some(mean) = t.strip_prefix("exp:") {
            return Ok(Self::Exponential(number(mean)?));
        }
        if let Some((low, high)) = t.split_once('-') {
            let (low, high) = (number(low)?, number(high)?);
            if low > high {
                return Err(format!("{text:?}: the low end is above the high end"));
            }
            return Ok(Self::Uniform(low, high));
        }
        Ok(Self::Fixed(number(&t)?))
    }
}

impl fmt::Display for Spread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(s) => write!(f, "{s}"),
            Self::Uniform(a, b) => write!(f, "{a}-{b}"),
            Self::Exponential(m) => write!(f, "exp:{m}"),
        }
    }
}

impl Spread {
    pub fn draw(self, rng: &mut impl Rng) -> Duration {
        let seconds = match self {
            Self::Fixed(s) => s,
            Self::Uniform(a, b) if a < b => rng.gen_range(a..b),
            Self::Uniform(a, _) => a,
            // Inverse transform; 1 - u is in (0, 1], so the log is finite.
            Self::Exponential(mean) => -mean * (1.0 - rng.gen::<f64>()).ln(),
        };
        // Bounded at a day, so a long tail cannot put a holder to sleep past any run.
        Duration::from_secs_f64(seconds.clamp(0.0, 86_400.0))
    }
}

/// Which holders sleep, for how long, and how they go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sleep {
    /// Share of holders (0..=1) that sleep; the others stay online.
    pub share: f64,
    pub online: Spread,
    pub offline: Spread,
    pub how: GoAway,
}

impl Default for Sleep {
    fn default() -> Self {
        Self {
            share: 0.0,
            online: Spread::Exponential(30.0),
            offline: Spread::Exponential(10.0),
            how: GoAway::Close,
        }
    }
}

impl Sleep {
    /// Whether holder `index` is one of the sleepers: spread evenly over the indices (the
    /// first of every 1/share), so any prefix of the holders has its share of sleepers.
    pub fn sleeps(&self, index: u64) -> bool {
        if self.share <= 0.0 {
            return false;
        }
        let before = (index as f64 * self.share).floor();
        let after = ((index + 1) as f64 * self.share).floor();
        after > before
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn parses_ways_and_spreads() {
        assert_eq!("VANISH".parse(), Ok(GoAway::Vanish));
        assert!("sleep".parse::<GoAway>().is_err());
        assert_eq!("5".parse(), Ok(Spread::Fixed(5.0)));
        assert_eq!("2-8s".parse(), Ok(Spread::Uniform(2.0, 8.0)));
        assert_eq!("exp:5".parse(), Ok(Spread::Exponential(5.0)));
        assert!("8-2".parse::<Spread>().is_err());
        assert!("exp:-1".parse::<Spread>().is_err());
        assert!("soon".parse::<Spread>().unwrap_err().contains("soon"));
        for s in ["5", "2-8", "exp:5"] {
            assert_eq!(s.parse::<Spread>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn draws_stay_in_range_and_average_right() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..100 {
            let d = Spread::Uniform(2.0, 3.0).draw(&mut rng).as_secs_f64();
            assert!((2.0..3.0).contains(&d));
        }
        let n = 20_000;
        let mean: f64 = (0..n)
            .map(|_| Spread::Exponential(4.0).draw(&mut rng).as_secs_f64())
            .sum::<f64>()
            / n as f64;
        assert!((mean - 4.0).abs() < 0.2, "{mean}");
    }

    #[test]
    fn the_share_of_sleepers_is_exact_over_any_prefix() {
        let sleep = Sleep {
            share: 0.4,
            ..Sleep::default()
        };
        let sleepers = (0..50).filter(|i| sleep.sleeps(*i)).count();
        assert_eq!(sleepers, 20);
        let five: Vec<bool> = (0..5).map(|i| sleep.sleeps(i)).collect();
        assert_eq!(five.iter().filter(|s| **s).count(), 2);
        assert!(!Sleep::default().sleeps(3));
    }
}
