//! Named time intervals for `alert(..., during = "us_equities")`: an equities bot's `idle`
//! alert must not page every weekend. The interval is defined once on `Routing` and each
//! alert naming it gets a route with `active_time_intervals`, so Alertmanager delivers it
//! only inside (the rule still fires in Prometheus, visible on its alerts page).

use std::fmt::Write as _;

use crate::text::yaml_quoted;

const WEEKDAYS: &[&str] = &[
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

/// When a named interval is active: any of its weekdays, within any of its times of day,
/// in its location's time zone (UTC unless given).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimeInterval {
    pub(super) weekdays: Vec<String>,
    pub(super) times: Vec<(String, String)>,
    pub(super) location: Option<String>,
}

impl TimeInterval {
    /// Always active, until narrowed.
    pub fn new() -> TimeInterval {
        TimeInterval::default()
    }

    /// Days of the week, one (`"saturday"`) or a range (`"monday:friday"`); may be given
    /// more than once.
    #[must_use]
    pub fn weekdays(mut self, days: impl Into<String>) -> TimeInterval {
        self.weekdays.push(days.into());
        self
    }

    /// Times of day, `"13:30"` to `"20:00"` (24-hour, end excluded); may be given more
    /// than once.
    #[must_use]
    pub fn times(mut self, start: impl Into<String>, end: impl Into<String>) -> TimeInterval {
        self.times.push((start.into(), end.into()));
        self
    }

    /// The IANA time zone the days and times are read in (`"America/New_York"`).
    #[must_use]
    pub fn location(mut self, zone: impl Into<String>) -> TimeInterval {
        self.location = Some(zone.into());
        self
    }

    /// What is wrong with it, if anything, as a sentence ending in the fix.
    pub(super) fn problem(&self) -> Option<String> {
        for days in &self.weekdays {
            let known = |d: &str| WEEKDAYS.contains(&d.trim().to_ascii_lowercase().as_str());
            if !days.split(':').all(known) || days.split(':').count() > 2 {
                return Some(format!(
                    "weekdays \"{days}\" is not a day or a range of days; write \"saturday\" or \"monday:friday\""
                ));
            }
        }
        for (start, end) in &self.times {
            match (minutes(start), minutes(end)) {
                (Some(s), Some(e)) if s < e => {}
                (Some(_), Some(_)) => {
                    return Some(format!(
                        "times \"{start}\" to \"{end}\" end before they start; give two ranges to cross midnight (\"22:00\"-\"24:00\" and \"00:00\"-\"06:00\")"
                    ))
                }
                _ => {
                    return Some(format!(
                        "times \"{start}\" to \"{end}\" are not times of day; write them as \"13:30\" and \"20:00\""
                    ))
                }
            }
        }
        if self
            .location
            .as_deref()
            .is_some_and(|l| l.trim().is_empty())
        {
            return Some(
                "location is empty; name a time zone like \"America/New_York\"".to_owned(),
            );
        }
        None
    }
}

/// `HH:MM` as minutes since midnight, up to `24:00`.
fn minutes(time: &str) -> Option<u32> {
    let (h, m) = time.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

/// The `time_intervals:` section.
pub(super) fn render(out: &mut String, intervals: &[(String, TimeInterval)]) {
    if intervals.is_empty() {
        return;
    }
    out.push_str("\ntime_intervals:\n");
    for (name, interval) in intervals {
        let _ = writeln!(out, "  - name: {}", yaml_quoted(name));
        out.push_str("    time_intervals:\n");
        let mut lead = "      - ";
        let mut field = |out: &mut String, text: String| {
            let _ = writeln!(out, "{lead}{text}");
            lead = "        ";
        };
        if !interval.weekdays.is_empty() {
            let days: Vec<String> = interval
                .weekdays
                .iter()
                .map(|d| yaml_quoted(&d.trim().to_ascii_lowercase()))
                .collect();
            field(out, format!("weekdays: [{}]", days.join(", ")));
        }
        if !interval.times.is_empty() {
            field(out, "times:".to_owned());
            for (start, end) in &interval.times {
                let _ = writeln!(
                    out,
                    "          - start_time: {}\n            end_time: {}",
                    yaml_quoted(start),
                    yaml_quoted(end)
                );
            }
        }
        if let Some(zone) = &interval.location {
            field(out, format!("location: {}", yaml_quoted(zone)));
        }
        if interval.weekdays.is_empty() && interval.times.is_empty() && interval.location.is_none()
        {
            // Always active: an empty interval matches every moment.
            field(out, "{}".to_owned());
        }
    }
}
