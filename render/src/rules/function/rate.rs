//! `rate < 1/m` and `rate > 100/s` on `#[counted]`: calls a second over the window, summed
//! over replicas; `<` also pages a label set, job or function gone silent.

use std::time::Duration;

use super::shared::{vanished, CallsCounter, WHO};
use crate::promql::Function;
use crate::rules::draft::Draft;
use crate::rules::scenario::data::calls;
use crate::rules::scenario::{round_up, Probe};
use botwatch_spec::model::{Alert, Comparison};
use botwatch_spec::names::{format_float, prometheus_duration};
use botwatch_spec::written::rate_unit;

/// The draft of `rate < n/per` or `rate > n/per`: calls a second over the window, summed
/// over replicas.
pub(super) fn draft(
    function: &Function<'_>,
    metric: &str,
    alert: &Alert,
    comparison: Comparison,
    n: f64,
    per: Duration,
    scrape: Duration,
) -> Draft {
    let counter = CallsCounter::new(function, metric);
    let by = &counter.by;
    let severity = alert.severity();
    let for_ = alert.for_duration();
    let p = n / per.as_secs_f64();
    let written = format!("{}/{}", format_float(n), rate_unit(per));
    let rate_window = alert.window_duration();
    let rate_window_text = prometheus_duration(rate_window);
    let per_sample = |per_second: f64| per_second * scrape.as_secs_f64();
    // A rate ramps up from the first call: `R × t / window` until the range is full.
    let ramp = |total: f64, t: Duration| {
        total * t.as_secs_f64().min(rate_window.as_secs_f64()) / rate_window.as_secs_f64()
    };
    let settled = round_up(rate_window + for_, scrape) + scrape;
    let (symbol, word, probes) = match comparison {
        Comparison::Below => {
            let mut probes = Vec::new();
            if p > 0.0 {
                let low = 0.75 * p;
                let onset = scrape;
                let fires_at = onset + round_up(for_, scrape);
                probes.push(
                    Probe::new("rate just below the threshold")
                        .for_edge(onset, for_, scrape, severity, ramp(low, fires_at))
                        .with(calls(
                            function,
                            metric,
                            [(per_sample(low / 2.0), 0.0); 2],
                            None,
                        )),
                );
                probes.push(
                    Probe::new("no series at all: never started")
                        .for_edge(Duration::ZERO, for_, scrape, severity, 0.0)
                        .without_job(),
                );
            }
            probes.push(
                Probe::new("rate above the threshold, one replica alone below")
                    .silent(settled)
                    .with(calls(
                        function,
                        metric,
                        [(per_sample(0.1 * p), 0.0), (per_sample(1.4 * p), 0.0)],
                        None,
                    )),
            );
            ("<", "less", probes)
        }
        Comparison::Above => {
            let high = 1.5 * p;
            // The ramp crosses p after two thirds of the window.
            let crossing = rate_window * 2 / 3;
            let first = round_up(crossing + Duration::from_millis(1), scrape);
            let mut probe = Probe::new("rate just above the threshold, neither replica alone")
                .with(calls(
                    function,
                    metric,
                    [(per_sample(high / 2.0), 0.0); 2],
                    None,
                ));
            if first < crossing + for_ {
                probe = probe.silent(first);
            }
            let fires_at = first + round_up(for_, scrape);
            probe = probe.fires(fires_at, severity, ramp(high, fires_at));
            let below = Probe::new("rate just below the threshold")
                .silent(settled)
                .with(calls(
                    function,
                    metric,
                    [(per_sample(0.375 * p), 0.0); 2],
                    None,
                ));
            (">", "more", vec![probe, below])
        }
    };
    let mut expr = format!(
        "{} {symbol} {}",
        counter.rate("", &rate_window_text),
        format_float(p)
    );
    if comparison == Comparison::Below {
        expr.push_str(&format!(
            " or {} or absent_over_time({}[{}]) * 0",
            vanished(&counter.selector(""), by, rate_window),
            counter.selector(""),
            prometheus_duration(rate_window * 2)
        ));
    }
    Draft::new(
        expr,
        format!("{{{{ $labels.function }}}} called {word} than {written}"),
        format!(
            "{WHO} is called {{{{ $value | humanize }}}} times a second over the last {rate_window_text}; the threshold is {written}."
        ),
        probes,
    )
}
