//! An SLO read against its objective at a glance: a dial of the good share of the last
//! 30 days (calls without error, or within the SLO's latency), red below the objective,
//! green at or above it — "API availability against the 99.5 % SLO". Its range starts ten
//! error budgets below 100 % (95 %–100 % for a 99.5 % SLO), so the line sits where the eye
//! can tell 99.4 from 99.6.

use std::borrow::Cow;

use botwatch_spec::model::{Site, Slo};
use botwatch_spec::names::{self, format_float};

use crate::promql::Function;

use super::panels::{Kind, Look, Panel};
use super::queries::{bad_ratio, budget, scope, Query, SLO_PERIOD};

/// How many error budgets below 100 % the dial starts.
const BUDGETS_SHOWN: f64 = 10.0;

/// The dial of `slo` on `site`, keyed `key/slo<i>/availability`.
pub(super) fn dial(
    site: &Site,
    metric: &str,
    slo: &Slo,
    key: &str,
    who: &str,
    good: &str,
    index: usize,
) -> Panel {
    let objective = objective_text(slo);
    Panel {
        key: format!("{key}/slo{index}/availability"),
        title: format!("{who}: SLO {objective} over {SLO_PERIOD}"),
        description: format!(
            "The share of {good} over the last 30 days against the objective of {objective}: red below it, green at or above."
        ),
        queries: vec![Query {
            expr: availability_query(site, metric, slo),
            legend: legend(site),
        }],
        kind: Kind::Gauge,
        unit: Cow::Borrowed("percentunit"),
        thresholds: vec![(slo.objective, "green")],
        size: (4, 8),
        look: Look {
            base: Some("red"),
            mappings: Vec::new(),
            range: Some(dial_range(slo)),
        },
    }
}

/// `availability {{venue}}`: one needle per per-call label set, as the budget panel's lines.
fn legend(site: &Site) -> String {
    let f = Function::of(site);
    let keys: String = f
        .call_labels
        .iter()
        .map(|k| format!(" {{{{{k}}}}}"))
        .collect();
    format!("availability{keys}")
}

/// From ten budgets below 100 % (not below 0) to 100 %.
pub(crate) fn dial_range(slo: &Slo) -> (f64, f64) {
    let low = (1.0 - BUDGETS_SHOWN * budget(slo)).max(0.0);
    (((low * 1e9).round() / 1e9), 1.0)
}

/// The good share over the SLO's period. For errors, the calls without one over all calls
/// (not one minus the errors' share, which has no value while no call ever failed: 100 %
/// would read as no data); for latency, one minus the slow share its budget panel reads
/// (the good bucket always has a series).
pub(crate) fn availability_query(site: &Site, metric: &str, slo: &Slo) -> String {
    if slo.latency.is_some() {
        return format!("1 - ({})", bad_ratio(site, metric, slo, SLO_PERIOD));
    }
    let f = Function::of(site);
    let by = f.by();
    let range = |selector: String| format!("sum by ({by}) (rate({selector}[{SLO_PERIOD}]))");
    let scope = scope(&f);
    format!(
        "{} / {}",
        range(f.selector(
            metric,
            &format!(
                ", {}!=\"{}\"{scope}",
                names::LABEL_RESULT,
                names::RESULT_ERROR
            )
        )),
        range(f.selector(metric, &scope))
    )
}

/// `99.5%`: the objective as its title writes it.
pub(crate) fn objective_text(slo: &Slo) -> String {
    format!(
        "{}%",
        format_float(((slo.objective * 100.0) * 1e9).round() / 1e9)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slo(objective: f64) -> Slo {
        Slo {
            objective,
            latency: None,
            min_rate: None,
        }
    }

    /// Catches a range that hides the objective's line (0–100 % for a 99.9 % SLO), one
    /// below 0 for a loose SLO, and binary noise in the written minimum.
    #[test]
    fn the_dial_starts_ten_budgets_below_full() {
        assert_eq!(dial_range(&slo(0.995)), (0.95, 1.0));
        assert_eq!(dial_range(&slo(0.999)), (0.99, 1.0));
        assert_eq!(dial_range(&slo(0.95)), (0.5, 1.0));
        assert_eq!(dial_range(&slo(0.5)), (0.0, 1.0), "never below 0");
        assert_eq!(objective_text(&slo(0.995)), "99.5%");
    }
}
