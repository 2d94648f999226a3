//! Who sends to whom (`--relay-pairing`): a random peer each time, fixed pairs, or fan-in to a
//! few busy wallets (a help desk, an issuer's wallet, a popular contact).

use std::fmt;
use std::str::FromStr;

use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pairing {
    /// Each message to a holder picked at random among the others that are onboarded.
    #[default]
    Random,
    /// Holders 0↔1, 2↔3, …: each only ever messages its partner (the last one of an odd
    /// count has none and sends nothing).
    Pairs,
    /// Every holder messages one of the first N holders (the busy wallets); those message a
    /// random peer.
    FanIn(u64),
}

impl FromStr for Pairing {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim().to_ascii_lowercase();
        match text.as_str() {
            "random" => Ok(Self::Random),
            "pairs" => Ok(Self::Pairs),
            _ => {
                let busy = text
                    .strip_prefix("fan-in:")
                    .or_else(|| text.strip_prefix("fan-in="))
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    .filter(|n| *n > 0);
                busy.map(Self::FanIn).ok_or_else(|| {
                    format!("{text:?} is not a pairing (use random, pairs or fan-in:N with N ≥ 1)")
                })
            }
        }
    }
}

impl fmt::Display for Pairing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Random => f.write_str("random"),
            Self::Pairs => f.write_str("pairs"),
            Self::FanIn(n) => write!(f, "fan-in:{n}"),
        }
    }
}

impl Pairing {
    /// The recipient for a message from `sender`, among `ready` (the onboarded holders, in any
    /// order); None when there is nobody to send to yet.
    pub fn choose(self, sender: u64, ready: &[u64], rng: &mut impl Rng) -> Option<u64> {
        let random_other = |rng: &mut dyn rand::RngCore| -> Option<u64> {
            let others = ready.len() - usize::from(ready.contains(&sender));
            if others == 0 {
                return None;
            }
            let mut pick = rng.gen_range(0..others);
            for &peer in ready {
                if peer == sender {
                    continue;
                }
                if pick == 0 {
                    return Some(peer);
                }
                pick -= 1;
            }
            None
        };
        match self {
            Self::Random => random_other(rng),
            Self::Pairs => {
                let partner = sender ^ 1;
                ready.contains(&partner).then_some(partner)
            }
            Self::FanIn(busy) => {
                if sender < busy {
                    return random_other(rng);
                }
                let target = rng.gen_range(0..busy);
                ready.contains(&target).then_some(target)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn parses_and_displays() {
        for text in ["random", "pairs", "fan-in:3"] {
            assert_eq!(text.parse::<Pairing>().unwrap().to_string(), text);
        }
        assert_eq!("FAN-IN=2".parse(), Ok(Pairing::FanIn(2)));
        assert!("fan-in:0".parse::<Pairing>().is_err());
        assert!("star".parse::<Pairing>().unwrap_err().contains("\"star\""));
    }

    #[test]
    fn never_to_oneself_and_only_to_the_ready() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let ready = [0, 1, 2, 5];
        for _ in 0..200 {
            let to = Pairing::Random.choose(2, &ready, &mut rng).unwrap();
            assert!(to != 2 && ready.contains(&to));
        }
        assert_eq!(Pairing::Random.choose(0, &[0], &mut rng), None);
        assert_eq!(Pairing::Pairs.choose(4, &ready, &mut rng), Some(5));
        assert_eq!(
            Pairing::Pairs.choose(5, &ready, &mut rng),
            None,
            "4 not ready"
        );
        for _ in 0..50 {
            let to = Pairing::FanIn(2).choose(5, &ready, &mut rng).unwrap();
            assert!(to < 2);
            let from_busy = Pairing::FanIn(2).choose(1, &ready, &mut rng).unwrap();
            assert_ne!(from_busy, 1);
        }
    }
}
