//! `calls / path::to::other_fn < 20%` on `#[counted]`: this function's calls over another
//! `#[counted]` function's (bundles included over bundles submitted, fills over orders),
//! both summed over the fleet within `window`, per per-call label set the two share, and
//! silent while the other function is called slower than `min_rate`.

use std::time::Duration;

use crate::promql::Function;
use crate::rules::draft::Draft;
use crate::rules::scenario::data::{calls, per_replica, with};
use crate::rules::scenario::ratio::{RatioLine, GRID};
use crate::rules::scenario::{round_up, samples, Probe, Shape};
use botwatch_spec::model::{Alert, Comparison};
use botwatch_spec::names::{self, format_float, format_percent, prometheus_duration, LABEL_JOB};

/// The two functions of a ratio, each with its calls counter's name.
pub(super) struct CallsRatio<'a> {
    pub(super) numerator: (&'a Function<'a>, &'a str),
    pub(super) denominator: (&'a Function<'a>, &'a str),
}

impl CallsRatio<'_> {
    /// `job`, the static labels both carry with one value, and this function's per-call
    /// labels (the other carries them too: a build error otherwise).
    pub(super) fn by(&self) -> String {
        let (num, den) = (self.numerator.0, self.denominator.0);
        let mut by = vec![LABEL_JOB.to_owned()];
        by.extend(
            num.labels
                .iter()
                .filter(|label| den.labels.contains(label))
                .map(|(k, _)| k.clone()),
        );
        by.extend(num.call_labels.iter().cloned());
        by.join(", ")
    }

    /// A function's calls (any result) within `window`, summed per ratio grouping.
    fn increase(&self, (function, metric): (&Function<'_>, &str), window: &str) -> String {
        format!(
            "sum by ({}) (increase({}[{window}]))",
            self.by(),
            function.selector(metric, "")
        )
    }

    /// The ratio: a label set the other function was called with and this one never was
    /// is 0, not absent; a set the other was not called with has no ratio.
    pub(super) fn ratio(&self, window: &str, comparison: Comparison) -> String {
        let den = self.increase(self.denominator, window);
        let num = self.increase(self.numerator, window);
        match comparison {
            Comparison::Below => format!("({num} or {den} * 0) / ({den} > 0)"),
            // A set never seen here is 0, never above a line: it needs no stand-in.
            Comparison::Above => format!("{num} / ({den} > 0)"),
        }
    }
}

/// The draft of `calls / other < r` (or `>`).
pub(super) fn draft(
    ratio: &CallsRatio<'_>,
    alert: &Alert,
    comparison: Comparison,
    r: f64,
    step: Duration,
) -> Draft {
    let window = alert.window_duration();
    let w = prometheus_duration(window);
    let symbol = match comparison {
        Comparison::Below => "<",
        Comparison::Above => ">",
    };
    let mut expr = format!(
        "{} {symbol} {}",
        ratio.ratio(&w, comparison),
        format_float(r)
    );
    let (den, den_metric) = ratio.denominator;
    if let Some(m) = alert.min_rate {
        expr.push_str(&format!(
            " and sum by ({}) (rate({}[{w}])) >= {}",
            ratio.by(),
            den.selector(den_metric, ""),
            format_float(m)
        ));
    }
    // The sums keep neither function's `function`/`module` labels (the rule writes them
    // back as static labels, which templates cannot read): the annotations name both.
    let (num, _) = ratio.numerator;
    let other = format!("{}::{}", den.module, den.name);
    let word = match comparison {
        Comparison::Above => "above",
        Comparison::Below => "below",
    };
    Draft::new(
        expr,
        format!(
            "{} called at {{{{ $value | humanizePercentage }}}} of {other}",
            num.name
        ),
        format!(
            "{}::{} was called {{{{ $value | humanizePercentage }}}} as often as {other} over the last {w}, summed over the fleet, {word} the line of {}.",
            num.module,
            num.name,
            format_percent(r)
        ),
        probes(ratio, alert, comparison, r, window, step),
    )
}

/// Both functions on two replicas, per step: the other called `d` times on each, this one
/// split unevenly between ok and error calls and between replicas (one replica alone
/// would be on the other side of the line), so only the fleet's sum of every result
/// decides. Ratios sit on a 1/1024 grid two steps either side of the line.
fn probes(
    ratio: &CallsRatio<'_>,
    alert: &Alert,
    comparison: Comparison,
    r: f64,
    window: Duration,
    step: Duration,
) -> Vec<Probe> {
    let Some(line) = RatioLine::new(comparison, r, alert.min_rate, window) else {
        return Vec::new();
    };
    let (grid, at_line, firing, safe, k) = (GRID, line.at_line, line.firing, line.safe, line.k);
    let for_ = alert.for_duration();
    let severity = alert.severity();
    let (num, num_metric) = ratio.numerator;
    let (den, den_metric) = ratio.denominator;
    // Replica a four grid steps further over the line than replica b; each replica's calls
    // a quarter errors (rounded down), the rest ok.
    let split = |units: f64| {
        line.spread(units).map(|n| {
            let errors = (n / 4.0).floor();
            ((n - errors) * k, errors * k)
        })
    };
    let with_other =
        |probe: Probe, per: f64| probe.with(calls(den, den_metric, [(per, 0.0); 2], None));
    // A function of the same name in another module, called as often as the other
    // function: counted with this one, the ratio would cross to the other side of the
    // line (below a `<` line, the firing probe would go silent; above a `>` line, the safe
    // one would fire).
    let twin_module = format!("{}_twin", num.module);
    let twin = Function {
        name: num.name,
        module: &twin_module,
        labels: num.labels.clone(),
        call_labels: num.call_labels.clone(),
    }
    .grouping();
    let twin_calls = {
        let labels = with(&twin, &[(names::LABEL_RESULT, names::RESULT_OK)]);
        let per = || Shape::Counter(vec![(u64::MAX, grid * k)]);
        per_replica(num_metric, &labels, [per(), per()])
    };
    let (twin_firing, twin_safe) = match comparison {
        Comparison::Below => (twin_calls, Vec::new()),
        Comparison::Above => (Vec::new(), twin_calls),
    };
    let judged = step + round_up(for_, step) + step;
    let mut out = vec![
        with_other(
            Probe::new("the fleet's ratio just over the line")
                .for_edge(step, for_, step, severity, firing / grid)
                .with(calls(num, num_metric, split(firing), None))
                .with(twin_firing),
            grid * k,
        ),
        with_other(
            Probe::new("the fleet's ratio just on the safe side of the line")
                .silent(judged)
                .with(calls(num, num_metric, split(safe), None))
                .with(twin_safe),
            grid * k,
        ),
    ];
    // A window far on the safe side, then the firing pace (ok calls only): it fires once
    // the window holds only the new pace.
    let n = samples(window, step).max(1);
    let old = crate::rules::declared::far_side(comparison, at_line);
    let switch = step * n as u32;
    let settled = switch + round_up(window, step) + round_up(for_, step) + 2 * step;
    let two_paces = {
        let (old_split, new_split) = (split(old), split(firing));
        let labels = with(&num.grouping(), &[(names::LABEL_RESULT, names::RESULT_OK)]);
        let pace = |i: usize| {
            let (o, e) = (old_split[i], new_split[i]);
            Shape::Counter(vec![(n, o.0 + o.1), (u64::MAX, e.0 + e.1)])
        };
        per_replica(num_metric, &labels, [pace(0), pace(1)])
    };
    out.push(with_other(
        Probe::new("a window on the safe side, then the fleet's ratio over the line")
            .silent(switch)
            .fires(settled, severity, firing / grid)
            .with(two_paces),
        grid * k,
    ));
    if comparison == Comparison::Above {
        // The other function is not called: no ratio, however often this one is.
        out.push(
            Probe::new("this function is called, the other is not")
                .silent(judged)
                .with(calls(num, num_metric, split(firing), None))
                .with(calls(den, den_metric, [(0.0, 0.0); 2], None)),
        );
    }
    if comparison == Comparison::Below {
        out.push(with_other(
            Probe::new("the other function is called, this one never was")
                .for_edge(step, for_, step, severity, 0.0),
            grid * k,
        ));
    }
    if let Some(m) = alert.min_rate {
        // At most half the minimum traffic once the window is full, the ratio past the
        // line. Calls per step are a power of two, written exactly, so the ratio is the
        // firing one and only the traffic floor keeps the alert silent.
        let per = 2f64.powf((m / 4.0 * step.as_secs_f64()).log2().floor());
        let full = round_up(window, step) + round_up(for_, step) + step;
        let exact = |function: &Function<'_>, metric: &str, per_step: f64| {
            let labels = with(
                &function.grouping(),
                &[(names::LABEL_RESULT, names::RESULT_OK)],
            );
            let run = || Shape::ExactCounter(vec![(u64::MAX, per_step)]);
            per_replica(metric, &labels, [run(), run()])
        };
        out.push(
            Probe::new("the ratio over the line on half the minimum traffic")
                .silent(full)
                .with(exact(num, num_metric, firing / grid * per))
                .with(exact(den, den_metric, per)),
        );
    }
    out
}
