//! `alert(CONDITION, key = value, ...)` and `slo(objective = ..., latency = ...)`.

use std::borrow::Cow;

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Lit, Token};

use super::items::{parse_items, split_first, Errors, KeySet};
use super::values::{
    assigned, count, duration, duration_text, for_each_item, labels, nested, rate, string,
};
use crate::model::{Alert, AttributeKind, Comparison, Condition, Quantile, Slo};

const ALERT_KEYS: &[&str] = &[
    "for",
    "severity",
    "name",
    "summary",
    "description",
    "runbook",
    "labels",
    "within",
    "window",
    "min_rate",
    "during",
];

/// Labels an alert carries by construction, which `labels(...)` may not set.
const ALERT_RESERVED_LABELS: &[&str] = &[
    "alertname",
    "severity",
    "function",
    "module",
    "breaker",
    "result",
    "le",
];

/// The conditions each attribute takes, as the user writes them.
fn condition_forms(kind: AttributeKind) -> &'static str {
    match kind {
        AttributeKind::Timed => {
            "`p50`/`p90`/`p95`/`p99`/`p999 > 250ms`, `in_flight > 50` or `oldest > 10m`"
        }
        AttributeKind::Counted => {
            "`error_rate > 5%`, `errors > 10`, `idle > 10m`, `rate < 1/s`, `rate > 100/m`, `calls / other_fn < 20%`, `in_flight > 50` or `oldest > 10m`"
        }
        AttributeKind::CircuitBreaker => "`open` or `flapping > 3`",
    }
}

/// The condition words each attribute takes, for "did you mean".
fn condition_words(kind: AttributeKind) -> &'static [&'static str] {
    match kind {
        AttributeKind::Timed => &["p50", "p90", "p95", "p99", "p999", "in_flight", "oldest"],
        AttributeKind::Counted => &[
            "error_rate",
            "errors",
            "idle",
            "rate",
            "calls",
            "in_flight",
            "oldest",
        ],
        AttributeKind::CircuitBreaker => &["open", "flapping"],
    }
}

/// Parses the inside of `alert(...)` for an attribute of kind `kind`.
pub(crate) fn parse_alert(
    tokens: &TokenStream,
    span: Span,
    kind: AttributeKind,
) -> syn::Result<Alert> {
    let alert = parse_alert_with(
        tokens,
        span,
        condition_forms(kind),
        |condition| parse_condition(condition, kind),
        function_key_applies,
    )?;
    // A count within a window: a burst leaves the window `within` after it, so a `for` as
    // long would never see it.
    if let Condition::Errors { .. } | Condition::Flapping { .. } = alert.condition {
        let (for_, within) = (alert.for_duration(), alert.within_duration());
        if for_ >= within {
            return Err(syn::Error::new(
                span,
                format!(
                    "`for = {}` is not shorter than `within = {}`: a burst leaves the window before `for` has passed, so the alert would never fire; make `for` shorter than `within` (or leave it out: `errors` fire at once by default)",
                    crate::names::prometheus_duration(for_),
                    crate::names::prometheus_duration(within)
                ),
            ));
        }
    }
    Ok(alert)
}

/// The other function's path of a `calls / path::to::other_fn` alert, with the user's
/// spans, so that a misspelt path is reported at the path itself; `None` for any other
/// condition (the alert was parsed already, so its syntax is known to be right).
pub(crate) fn calls_ratio_path(tokens: &TokenStream) -> Option<syn::Path> {
    let (condition, _) = split_first(tokens.clone()).ok()?;
    let parser = |input: ParseStream<'_>| {
        let word: Ident = input.parse()?;
        if word != "calls" || !input.peek(Token![/]) {
            return Ok(None);
        }
        input.parse::<Token![/]>()?;
        let path = syn::Path::parse_mod_style(input)?;
        input.parse::<TokenStream>()?;
        Ok(Some(path))
    };
    parser.parse2(condition).ok().flatten()
}

/// Whether `key` (`within`, `window`, `min_rate`) applies to a function's condition; the
/// reason when it does not.
fn function_key_applies(key: &str, condition: &Condition) -> Result<(), &'static str> {
    let applies = match key {
        "within" => matches!(
            condition,
            Condition::Flapping { .. } | Condition::Errors { .. }
        ),
        "window" => matches!(
            condition,
            Condition::Latency { .. }
                | Condition::ErrorRate { .. }
                | Condition::Rate { .. }
                | Condition::CallsRatio { .. }
        ),
        "min_rate" => matches!(
            condition,
            Condition::ErrorRate { .. } | Condition::Latency { .. } | Condition::CallsRatio { .. }
        ),
        _ => true,
    };
    match (applies, key) {
        (true, _) => Ok(()),
        (false, "within") => Err("`within` only applies to `flapping > N` and `errors > N` alerts; the range of a rate is `window = 10m`"),
        (false, "window") => Err("`window` (the range of a rate) only applies to `error_rate`, latency (`p99 > ...`), `rate` and `calls / other_fn` alerts; `idle > 10m` is its own window, and `flapping`/`errors` count within `within = 15m`"),
        (false, _) => Err("`min_rate` (the traffic below which the alert stays silent) only applies to `error_rate`, latency (`p99 > ...`) and `calls / other_fn` alerts"),
    }
}

/// Parses the inside of `alert(...)`: the condition with `parse_condition`, then the keys
/// every alert shares. `within`, `window` and `min_rate` are refused at the key with the
/// message `key_applies(key, condition)` gives for conditions they do not apply to.
pub(crate) fn parse_alert_with<C>(
    tokens: &TokenStream,
    span: Span,
    forms: &str,
    parse_condition: impl FnOnce(&TokenStream) -> syn::Result<C>,
    key_applies: impl Fn(&str, &C) -> Result<(), &'static str>,
) -> syn::Result<Alert<C>> {
    let (condition_tokens, rest) = split_first(tokens.clone())?;
    if condition_tokens.is_empty() {
        return Err(syn::Error::new(
            span,
            format!("`alert(...)` starts with its condition: {forms}"),
        ));
    }
    let mut errors = Errors::default();
    let condition = errors.ok(parse_condition(&condition_tokens));
    let mut alert = Alert::new(());
    let mut keys = KeySet::new("alert(...)", ALERT_KEYS, &[]);
    let items = parse_items(rest)?;
    for_each_item(items, &mut keys, &mut errors, |item, key| {
        if let Some(Err(message)) = condition.as_ref().map(|c| key_applies(key, c)) {
            return Err(syn::Error::new(item.key.span(), message));
        }
        match key {
            "for" => alert.for_ = Some(duration(assigned(item, "5m")?)?),
            "within" => {
                let value = assigned(item, "15m")?;
                let within = duration(value)?;
                positive_window(within, value, "within")?;
                alert.within = Some(within);
            }
            "window" => {
                let value = assigned(item, "10m")?;
                let window = duration(value)?;
                positive_window(window, value, "window")?;
                alert.window = Some(window);
            }
            "min_rate" => {
                alert.min_rate = Some(min_rate(assigned(item, "0.1/s")?)?);
            }
            "severity" => {
                let value = assigned(item, "\"critical\"")?;
                let severity = string(value, "severity")?;
                if severity.trim().is_empty() {
                    return Err(syn::Error::new_spanned(
                        value,
                        "`severity` must not be empty",
                    ));
                }
                alert.severity = Some(severity);
            }
            "name" => {
                let value = assigned(item, "\"AlertName\"")?;
                let name = string(value, "name")?;
                if !crate::names::is_identifier(&name) {
                    return Err(syn::Error::new_spanned(
                        value,
                        format!("`{name}` is not a valid alert name: use letters, digits and `_`, like \"RelayDown\""),
                    ));
                }
                alert.name = Some(name);
            }
            "summary" => alert.summary = Some(string(assigned(item, "\"...\"")?, "summary")?),
            "description" => {
                alert.description = Some(string(assigned(item, "\"...\"")?, "description")?);
            }
            "runbook" => {
                alert.runbook = Some(string(assigned(item, "\"https://...\"")?, "runbook")?)
            }
            "during" => {
                let value = assigned(item, "\"us_equities\"")?;
                let name = string(value, "during")?;
                if !crate::names::is_identifier(&name) {
                    return Err(syn::Error::new_spanned(
                        value,
                        format!("`{name}` is not a time interval name: use letters, digits and `_`, like \"us_equities\", and define it on the build helper's Routing"),
                    ));
                }
                alert.during = Some(name);
            }
            "labels" => {
                alert.labels = Cow::Owned(labels(
                    nested(item, "team = \"execution\"")?,
                    ALERT_RESERVED_LABELS,
                )?);
            }
            _ => unreachable!("KeySet only admits ALERT_KEYS"),
        }
        Ok(())
    });
    errors.finish(())?;
    let condition = condition.expect("a condition that failed to parse left an error");
    Ok(alert.with_condition(condition))
}

fn parse_condition(tokens: &TokenStream, kind: AttributeKind) -> syn::Result<Condition> {
    let parser = |input: ParseStream<'_>| {
        let word: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("expected a condition: {}", condition_forms(kind)),
            )
        })?;
        // `calls / path::to::other_fn`: the other function's path.
        let other = if input.peek(Token![/]) {
            input.parse::<Token![/]>()?;
            Some(syn::Path::parse_mod_style(input).map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "write a ratio as `calls / path::to::other_fn < 20%`",
                )
            })?)
        } else {
            None
        };
        let comparison = if input.peek(Token![>]) {
            input.parse::<Token![>]>()?;
            Some(Comparison::Above)
        } else if input.peek(Token![<]) {
            input.parse::<Token![<]>()?;
            Some(Comparison::Below)
        } else {
            None
        };
        let value: TokenStream = input.parse()?;
        Ok((word, other, comparison, value))
    };
    let (word, other, comparison, value) = parser.parse2(tokens.clone())?;
    let name = word.to_string();
    if other.is_some() != (name == "calls") {
        return Err(syn::Error::new(
            word.span(),
            "write a ratio of calls as `calls / path::to::other_fn < 20%`",
        ));
    }
    let condition = match name.as_str() {
        "calls" => {
            let Some(comparison) = comparison.filter(|_| !value.is_empty()) else {
                return Err(syn::Error::new(
                    word.span(),
                    "write `calls / path::to::other_fn < 20%` or `> 80%`",
                ));
            };
            let other = other.expect("checked above");
            Condition::CallsRatio {
                other: Cow::Owned(super::values::path_text(&other)),
                comparison,
                threshold: rate(&value, "calls / other_fn")?,
            }
        }
        _ if Quantile::from_keyword(&name).is_some() => {
            let quantile = Quantile::from_keyword(&name).expect("checked above");
            require(&word, comparison, Comparison::Above, &value, "250ms")?;
            let threshold = duration(&value)?;
            positive(threshold.is_zero(), &value)?;
            Condition::Latency {
                quantile,
                threshold,
            }
        }
        "error_rate" => {
            require(&word, comparison, Comparison::Above, &value, "5%")?;
            Condition::ErrorRate {
                above: rate(&value, "error_rate")?,
            }
        }
        "idle" => {
            require(&word, comparison, Comparison::Above, &value, "10m")?;
            let window = duration(&value)?;
            positive_window(window, &value, "idle")?;
            Condition::Idle { window }
        }
        "rate" => {
            let Some(comparison) = comparison else {
                return Err(syn::Error::new(
                    word.span(),
                    "write `rate < 1/s` or `rate > 100/m`",
                ));
            };
            let (calls, per) = per_unit(&value)?;
            Condition::Rate {
                comparison,
                calls,
                per,
            }
        }
        "open" => {
            if comparison.is_some() || !value.is_empty() {
                return Err(syn::Error::new_spanned(
                    tokens,
                    "`open` takes no threshold: write `alert(open, for = 1m)`",
                ));
            }
            Condition::Open
        }
        "in_flight" => {
            require(&word, comparison, Comparison::Above, &value, "50")?;
            Condition::InFlight {
                above: count(&value, "in_flight", 0).map_err(|_| {
                    syn::Error::new_spanned(
                        &value,
                        "write a whole number of calls, like `in_flight > 50`",
                    )
                })?,
            }
        }
        "oldest" => {
            require(&word, comparison, Comparison::Above, &value, "10m")?;
            let limit = duration(&value)?;
            positive_window(limit, &value, "oldest")?;
            Condition::Oldest { limit }
        }
        "errors" => {
            require(&word, comparison, Comparison::Above, &value, "10")?;
            Condition::Errors {
                more_than: count(&value, "errors", 0).map_err(|_| {
                    syn::Error::new_spanned(
                        &value,
                        "write a whole number of errors, like `errors > 10`",
                    )
                })?,
            }
        }
        "flapping" => {
            require(&word, comparison, Comparison::Above, &value, "3")?;
            Condition::Flapping {
                more_than: count(&value, "flapping", 0).map_err(|_| {
                    syn::Error::new_spanned(
                        &value,
                        "write a whole number of trips, like `flapping > 3`",
                    )
                })?,
            }
        }
        _ => {
            let suggestion = crate::suggest::closest(&name, condition_words(kind).iter().copied())
                .map(|close| format!(" did you mean `{close}`?"))
                .unwrap_or_default();
            return Err(syn::Error::new(
                word.span(),
                format!(
                    "unknown alert condition `{name}`;{suggestion} #[{}] takes {}",
                    kind.attribute_name(),
                    condition_forms(kind)
                ),
            ));
        }
    };
    let belongs_to = condition.attribute();
    if !condition.applies_to(kind) {
        return Err(syn::Error::new(
            word.span(),
            format!(
                "`{name}` is a condition of #[{}], not of #[{}]; #[{}] takes {}",
                belongs_to.attribute_name(),
                kind.attribute_name(),
                kind.attribute_name(),
                condition_forms(kind)
            ),
        ));
    }
    Ok(condition)
}

fn require(
    word: &Ident,
    found: Option<Comparison>,
    wanted: Comparison,
    value: &TokenStream,
    example: &str,
) -> syn::Result<()> {
    let symbol = if wanted == Comparison::Above {
        ">"
    } else {
        "<"
    };
    if found != Some(wanted) || value.is_empty() {
        return Err(syn::Error::new(
            word.span(),
            format!("write `{word} {symbol} {example}`"),
        ));
    }
    Ok(())
}

/// A range window must be above zero. Whether it holds enough scrapes (4, the fewest that
/// `increase()` reads reliably) depends on the scrape interval, which only the build helper
/// knows (`Rules::scrape_interval`, default 15s): it checks that, naming the attribute. The
/// grammar must not assume an interval, or `idle > 30s` on a bot scraped every 5s would be
/// refused here, by the macros and by the scan alike.
pub(crate) fn positive_window(
    window: std::time::Duration,
    value: &TokenStream,
    what: &str,
) -> syn::Result<()> {
    if window.is_zero() {
        return Err(syn::Error::new_spanned(
            value,
            format!(
                "a `{what}` window of zero holds no scrape; use at least 4 scrape intervals, like `1m` at the default 15s"
            ),
        ));
    }
    Ok(())
}

fn positive(is_zero: bool, value: &TokenStream) -> syn::Result<()> {
    if is_zero {
        return Err(syn::Error::new_spanned(
            value,
            "the threshold must be above zero",
        ));
    }
    Ok(())
}

/// `10/s`, `100/m`, `1/h`.
pub(crate) fn per_unit(tokens: &TokenStream) -> syn::Result<(f64, std::time::Duration)> {
    let help = "write a call rate as `N/s`, `N/m` or `N/h`, like `rate < 1/s`";
    let parser = |input: ParseStream<'_>| {
        let lit: Lit = input.parse()?;
        input.parse::<Token![/]>()?;
        let unit: Ident = input.parse()?;
        Ok((lit, unit))
    };
    let (lit, unit) = parser
        .parse2(tokens.clone())
        .map_err(|_| syn::Error::new_spanned(tokens, help))?;
    let calls = match &lit {
        Lit::Int(i) if i.suffix().is_empty() => i.base10_parse::<f64>()?,
        Lit::Float(f) if f.suffix().is_empty() => f.base10_parse::<f64>()?,
        _ => return Err(syn::Error::new_spanned(tokens, help)),
    };
    let per = duration_text(&format!("1{unit}"))
        .filter(|_| matches!(unit.to_string().as_str(), "s" | "m" | "h"))
        .ok_or_else(|| syn::Error::new(unit.span(), help))?;
    Ok((calls, per))
}

/// `min_rate = 0.1/s`, in calls per second.
fn min_rate(value: &TokenStream) -> syn::Result<f64> {
    let help = "write the minimum traffic as calls per second, minute or hour above zero, like `min_rate = 0.1/s` or `min_rate = 5/m`";
    let (calls, per) = per_unit(value).map_err(|_| syn::Error::new_spanned(value, help))?;
    let per_second = calls / per.as_secs_f64();
    if !(per_second > 0.0 && per_second.is_finite()) {
        return Err(syn::Error::new_spanned(value, help));
    }
    Ok(per_second)
}

/// Parses the inside of `slo(...)`.
pub(crate) fn parse_slo(tokens: &TokenStream, span: Span, kind: AttributeKind) -> syn::Result<Slo> {
    let valid: &'static [&'static str] = match kind {
        AttributeKind::Timed => &["objective", "latency", "min_rate"],
        _ => &["objective", "min_rate"],
    };
    let mut keys = KeySet::new("slo(...)", valid, &[]);
    let mut errors = Errors::default();
    let mut objective = None;
    let mut latency = None;
    let mut min_traffic = None;
    for_each_item(
        parse_items(tokens.clone())?,
        &mut keys,
        &mut errors,
        |item, key| {
            match key {
                "objective" => {
                    let value = assigned(item, "99.9%")?;
                    let fraction = rate(value, "objective")?;
                    if fraction >= 1.0 {
                        return Err(syn::Error::new_spanned(
                        value,
                        "an objective of 100% leaves no error budget; use something like `99.9%`",
                    ));
                    }
                    objective = Some(fraction);
                }
                "latency" => {
                    let value = assigned(item, "250ms")?;
                    let threshold = duration(value)?;
                    positive(threshold.is_zero(), value)?;
                    latency = Some(threshold);
                }
                "min_rate" => min_traffic = Some(min_rate(assigned(item, "0.1/s")?)?),
                _ => unreachable!("KeySet only admits the SLO keys"),
            }
            Ok(())
        },
    );
    let example = match kind {
        AttributeKind::Timed => "slo(objective = 99.9%, latency = 250ms)",
        _ => "slo(objective = 99.5%)",
    };
    if objective.is_none() && errors.is_empty() {
        errors.push(syn::Error::new(
            span,
            format!("`slo` needs an objective: `{example}`"),
        ));
    }
    if kind == AttributeKind::Timed && latency.is_none() && errors.is_empty() {
        errors.push(syn::Error::new(
            span,
            format!("a latency SLO needs its threshold: `{example}`"),
        ));
    }
    errors.finish(Slo {
        objective: objective.unwrap_or_default(),
        latency,
        min_rate: min_traffic,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::model::{Comparison, Condition};
    use crate::parse::parse_counted;

    /// `calls / path < X` names the other function by path, with `window` (default 1h) and
    /// `min_rate`; its default name is `<Function>RatioLow`.
    #[test]
    fn a_ratio_of_calls_parses_with_window_and_min_rate() {
        let counted: crate::model::Counted = parse_counted(
            "alert(calls / relay::submit_bundle < 20%, min_rate = 1/m)"
                .parse()
                .unwrap(),
        )
        .unwrap();
        let alert = &counted.alerts[0];
        assert_eq!(
            alert.condition,
            Condition::CallsRatio {
                other: "relay::submit_bundle".into(),
                comparison: Comparison::Below,
                threshold: 0.2,
            }
        );
        assert_eq!(alert.window_duration(), Duration::from_secs(3600));
        assert_eq!(alert.min_rate, Some(1.0 / 60.0));
        assert_eq!(alert.alert_name("include_bundle"), "IncludeBundleRatioLow");
        let e = |args: &str| {
            parse_counted(args.parse().unwrap())
                .expect_err("an error")
                .to_string()
        };
        assert!(e("alert(calls < 20%)").contains("calls / path::to::other_fn"));
        assert!(e("alert(rate / other < 1/s)").contains("calls / path::to::other_fn"));
        assert!(e("alert(calls / other)").contains("`calls / path::to::other_fn < 20%`"));
        assert!(e("alert(calls / other > 150)").contains("more than 1"));
    }

    /// The macro checks each ratio's other function at its path: every `calls / path`
    /// alert gives its path, in the order written, and no other alert gives one.
    #[test]
    fn each_calls_ratio_gives_its_path_for_the_macro_to_check() {
        let parsed = crate::parse::parse_attribute(
            crate::model::AttributeKind::Counted,
            "alert(error_rate > 5%), alert(calls / relay::submit < 20%, window = 2h), \
             alert(in_flight > 3), alert(calls / fill > 90%)"
                .parse()
                .unwrap(),
        )
        .unwrap();
        let crate::parse::Parsed::Counted(counted) = parsed else {
            panic!("a counted attribute")
        };
        let paths: Vec<String> = counted
            .ratio_paths
            .iter()
            .map(crate::parse::values::path_text)
            .collect();
        assert_eq!(paths, ["relay::submit", "fill"]);
    }
}
