//! The relay's failure schedule: when it is down and how flaky it is otherwise.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::args::duration;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Chaos {
    /// First outage starts this long after the bot starts; `None` for no outage.
    pub(crate) outage_at: Option<Duration>,
    pub(crate) outage_for: Duration,
    /// Outages repeat with this period.
    pub(crate) every: Option<Duration>,
    /// Share of calls failing outside outages.
    pub(crate) background_failures: f64,
    /// A losing streak starts this long after the bot starts: the drawdown goes past the
    /// kill switch's 5 % for `drawdown_for`, then recovers. `None` for none.
    pub(crate) drawdown_at: Option<Duration>,
    pub(crate) drawdown_for: Duration,
}

impl Default for Chaos {
    /// One short outage early on, so a newcomer sees the breaker trip and recover.
    fn default() -> Self {
        Chaos {
            outage_at: Some(Duration::from_secs(10)),
            outage_for: Duration::from_secs(8),
            every: None,
            background_failures: 0.02,
            drawdown_at: None,
            drawdown_for: Duration::from_secs(10),
        }
    }
}

impl Chaos {
    /// Whether the relay is down `elapsed` after the start.
    pub(crate) fn in_outage(&self, elapsed: Duration) -> bool {
        let Some(start) = self.outage_at else {
            return false;
        };
        if elapsed < start {
            return false;
        }
        let since = elapsed - start;
        let since = match self.every {
            Some(period) if !period.is_zero() => {
                Duration::from_secs_f64(since.as_secs_f64() % period.as_secs_f64())
            }
            _ => since,
        };
        since < self.outage_for
    }
}

impl Chaos {
    /// The day's drawdown `elapsed` after the start: 8 % during the losing streak, 1 %
    /// otherwise.
    pub(crate) fn drawdown(&self, elapsed: Duration) -> f64 {
        match self.drawdown_at {
            Some(start) if elapsed >= start && elapsed - start < self.drawdown_for => 0.08,
            _ => 0.01,
        }
    }
}

impl FromStr for Chaos {
    type Err = String;

    fn from_str(text: &str) -> Result<Chaos, String> {
        if text == "none" {
            return Ok(Chaos {
                outage_at: None,
                ..Chaos::default()
            });
        }
        let mut chaos = Chaos::default();
        for part in text.split(',').filter(|p| !p.is_empty()) {
            if part == "none" {
                chaos.outage_at = None;
                continue;
            }
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("chaos option {part:?} needs key=value"))?;
            match key {
                "outage-at" => chaos.outage_at = Some(duration(value)?),
                "for" => chaos.outage_for = duration(value)?,
                "every" => chaos.every = Some(duration(value)?),
                "drawdown-at" => chaos.drawdown_at = Some(duration(value)?),
                "drawdown-for" => chaos.drawdown_for = duration(value)?,
                "flaky" => {
                    let share: f64 = value
                        .trim_end_matches('%')
                        .parse()
                        .map_err(|_| format!("flaky={value} is not a percentage"))?;
                    chaos.background_failures = (share / 100.0).clamp(0.0, 1.0);
                }
                _ => {
                    return Err(format!(
                        "unknown chaos option {key:?}; expected outage-at, for, every, flaky, drawdown-at, drawdown-for"
                    ))
                }
            }
        }
        Ok(chaos)
    }
}

impl fmt::Display for Chaos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.outage_at {
            None => write!(f, "no outage"),
            Some(at) => {
                write!(
                    f,
                    "outage at {}s for {}s",
                    at.as_secs_f64(),
                    self.outage_for.as_secs_f64()
                )?;
                if let Some(every) = self.every {
                    write!(f, " every {}s", every.as_secs_f64())?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_follow_the_schedule() {
        let chaos: Chaos = "outage-at=10s,for=5s,every=30s".parse().unwrap();
        let down: Vec<u64> = (0..70)
            .filter(|s| chaos.in_outage(Duration::from_secs(*s)))
            .collect();
        assert_eq!(down, [10, 11, 12, 13, 14, 40, 41, 42, 43, 44]);
        assert!(!"none"
            .parse::<Chaos>()
            .unwrap()
            .in_outage(Duration::from_secs(12)));
        assert!("outage-at=soon".parse::<Chaos>().is_err());
    }

    #[test]
    fn a_losing_streak_passes_the_line_and_recovers() {
        let chaos: Chaos = "none,drawdown-at=20s,drawdown-for=5s".parse().unwrap();
        let past: Vec<u64> = (0..40)
            .filter(|s| chaos.drawdown(Duration::from_secs(*s)) > 0.05)
            .collect();
        assert_eq!(past, [20, 21, 22, 23, 24]);
    }
}
