//! Why a rule set cannot be built; each message names both places, or the fix.

use std::fmt;
use std::time::Duration;

use super::set::MIN_SCRAPES_PER_WINDOW;
use botwatch_spec::names::prometheus_duration;

/// Why a rule set cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RulesError {
    /// Two different alerts share a name and labels, so Prometheus could not tell them
    /// apart.
    DuplicateAlert {
        /// The alert's name.
        name: String,
        /// Where the first one comes from.
        first: String,
        /// Where the second one comes from.
        second: String,
    },
    /// A range window holds fewer than [`MIN_SCRAPES_PER_WINDOW`] scrapes.
    WindowTooShort {
        /// The alert as written (`alert(idle > 1m)`) and where it comes from.
        alert: String,
        /// Where it comes from, `module::function`.
        origin: String,
        /// The window.
        window: Duration,
        /// The scrape interval in force.
        scrape_interval: Duration,
    },
    /// Two declared metrics share one metric name.
    DuplicateMetric {
        /// The metric name.
        name: String,
        /// The first declaration, `module::STATIC`.
        first: String,
        /// The second declaration.
        second: String,
    },
    /// A ratio's denominator (`value / OTHER > 80%`) is not a declared, unlabelled gauge.
    UnknownRatio {
        /// The declaration with the ratio, `module::STATIC`.
        origin: String,
        /// The denominator as written.
        denominator: String,
    },
    /// The build helper's `BotDown` or `BotRestarting` is set so that it cannot work.
    BotAlert {
        /// The alert's name.
        name: String,
        /// Why, and the fix.
        reason: String,
    },
    /// A ratio's other function (`calls / path::to::other_fn < 20%`) names no `#[counted]`
    /// function.
    UnknownFunction {
        /// The function with the ratio, `module::function`.
        origin: String,
        /// The path as written.
        other: String,
    },
    /// A ratio's two functions do not share a per-call label of the first: its ratio per
    /// label set has no denominator.
    LabelsNotShared {
        /// The function with the ratio, `module::function`.
        first: String,
        /// The other function, `module::function`.
        second: String,
        /// The per-call label the other lacks.
        label: String,
    },
    /// An increase ratio's other metric (`increase / OTHER < 20%`) is not a declared
    /// counter.
    UnknownCounter {
        /// The declaration with the ratio, `module::STATIC`.
        origin: String,
        /// The other metric as written (and what it is, if declared).
        other: String,
    },
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulesError::DuplicateAlert { name, first, second } => write!(
                f,
                "two different alerts named {name} with the same labels, from {first} and from {second}; \
                 give one of them another name (alert(..., name = \"...\")) or different labels"
            ),
            RulesError::WindowTooShort {
                alert,
                origin,
                window,
                scrape_interval,
            } => {
                let interval = prometheus_duration(*scrape_interval);
                write!(
                    f,
                    "{alert} on {origin} reads a {} window, which holds fewer than {MIN_SCRAPES_PER_WINDOW} scrapes at the \
                     scrape interval of {interval} (.scrape_interval({interval})); make the window at least {}, or scrape more often",
                    prometheus_duration(*window),
                    prometheus_duration(*scrape_interval * MIN_SCRAPES_PER_WINDOW),
                )
            }
            RulesError::DuplicateMetric { name, first, second } => write!(
                f,
                "two declared metrics named {name}, {first} and {second}; give one of them another name (name = \"...\")"
            ),
            RulesError::UnknownRatio { origin, denominator } => write!(
                f,
                "{origin} has an alert on a ratio to {denominator}, which is not a metric declared with #[botwatch::gauge]; declare it, or name the static of one"
            ),
            RulesError::BotAlert { name, reason } => write!(f, "the job alert {name} {reason}"),
            RulesError::UnknownFunction { origin, other } => write!(
                f,
                "{origin} has an alert on its calls over `{other}`, which names no #[botwatch::counted] function; annotate it with #[botwatch::counted], or write its path (`module::function`)"
            ),
            RulesError::LabelsNotShared {
                first,
                second,
                label,
            } => write!(
                f,
                "{first} has an alert on its calls over {second}'s, per per-call label set, but {second} has no per-call label `{label}`; give {second} the label `{label}` too, or remove it from {first}"
            ),
            RulesError::UnknownCounter { origin, other } => write!(
                f,
                "{origin} has an alert on its increase over {other}, which is not a metric declared with #[botwatch::counter]; declare it, or name the static of one"
            ),
        }
    }
}

impl std::error::Error for RulesError {}
