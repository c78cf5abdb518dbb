//! `#[gauge(...)]`, `#[counter(...)]` and `#[histogram(...)]` on a `static`: options and
//! the value conditions of their alerts.

use std::borrow::Cow;

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Lit, Token};

use super::alert::{parse_alert_with, per_unit, positive_window};
use super::items::{parse_items, Errors, Item, ItemValue, KeySet};
use super::presentation;
use super::values::{
    assigned, bucket_bound, count, duration, for_each_item, labels, metric_name, nested, string,
};
use crate::declared::{Declared, MetricKind, ValueAlert, ValueComparison, ValueCondition};
use crate::model::{Comparison, Label, Quantile, Text};
use crate::names::is_label_name;

/// Labels a declared metric's series or alerts carry by construction.
const RESERVED_LABELS: &[&str] = &["le", "instance", "job", "alertname", "severity", "quantile"];

const GAUGE_KEYS: &[&str] = &[
    "name",
    "help",
    "labels",
    "max_series",
    "unit",
    "states",
    "alert",
    "guard",
];
const COUNTER_KEYS: &[&str] = &[
    "name",
    "help",
    "labels",
    "max_series",
    "unit",
    "alert",
    "guard",
];
const HISTOGRAM_KEYS: &[&str] = &[
    "name",
    "help",
    "labels",
    "max_series",
    "unit",
    "buckets",
    "alert",
    "guard",
];

/// The HELP a doc comment gives a declared metric: its lines, trimmed and joined by spaces.
/// The macro and the build helper's scanner both read it here, so they agree on the text.
pub fn help_from_doc(attrs: &[syn::Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .filter(|line| !line.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join(" "))
}

/// A parsed declaration: the model plus what the macro checks in the user's crate.
pub struct ParsedDeclared {
    /// The plain model.
    pub spec: Declared,
    /// Each ratio's denominator as a path with the user's spans, so the macro can make a
    /// missing or undeclared one a compile error at that path.
    pub denominators: Vec<syn::Path>,
    /// Each gap's reference (`value - NODE_HEAD > 5`), which must be a declared gauge.
    pub references: Vec<syn::Path>,
    /// Each increase ratio's other counter (`increase / SUBMITTED < 20%`), which must be a
    /// declared counter.
    pub counters: Vec<syn::Path>,
}

/// Parses the arguments of `#[gauge]`, `#[counter]` or `#[histogram]` on the static named
/// `static_name` in `module`; `doc` is its doc comment, the HELP unless `help` is given.
pub fn parse_declared(
    kind: MetricKind,
    tokens: TokenStream,
    static_name: &str,
    module: &str,
    doc: Option<String>,
) -> syn::Result<ParsedDeclared> {
    let mut spec = Declared::new(kind, static_name, module);
    spec.help = doc.map(Cow::Owned);
    let context = match kind {
        MetricKind::Gauge => "#[gauge]",
        MetricKind::Counter => "#[counter]",
        MetricKind::Histogram => "#[histogram]",
    };
    let valid = match kind {
        MetricKind::Gauge => GAUGE_KEYS,
        MetricKind::Counter => COUNTER_KEYS,
        MetricKind::Histogram => HISTOGRAM_KEYS,
    };
    let mut keys = KeySet::new(context, valid, &["alert"]);
    let mut errors = Errors::default();
    let mut alerts = Vec::new();
    let mut denominators = Vec::new();
    let mut references = Vec::new();
    let mut counters = Vec::new();
    let mut totals_at = Vec::new();
    let mut max_series_at = None;
    let mut state_alerts = Vec::new();
    for_each_item(parse_items(tokens)?, &mut keys, &mut errors, |item, key| {
        match key {
            "name" => spec.name = Some(metric_name(assigned(item, "\"my_metric\"")?)?),
            "help" => spec.help = Some(string(assigned(item, "\"...\"")?, "help")?),
            "labels" => {
                let (statics, declared) = declared_labels(nested(item, "symbol")?)?;
                spec.labels = Cow::Owned(statics);
                spec.label_keys = Cow::Owned(declared);
            }
            "unit" => spec.unit = Some(Cow::Owned(presentation::unit(assigned(item, "\"USD\"")?)?)),
            "states" => {
                spec.states = Cow::Owned(presentation::states(nested(
                    item,
                    "0 = \"running\", 3 = \"halted\"",
                )?)?)
            }
            "max_series" => {
                max_series_at = Some(item.key.span());
                spec.max_series = Some(count(assigned(item, "100")?, key, 1)?);
            }
            "buckets" => {
                spec.buckets = Some(Cow::Owned(value_buckets(assigned(
                    item,
                    "[0.5, 0.9, 0.99]",
                )?)?))
            }
            "alert" => {
                let (alert, other) = parse_value_alert(item, kind)?;
                match (&alert.condition, other) {
                    (ValueCondition::Gap { .. }, Some(path)) => references.push(path),
                    (ValueCondition::IncreaseRatio { .. }, Some(path)) => counters.push(path),
                    (_, Some(path)) => denominators.push(path),
                    (_, None) => {}
                }
                if matches!(alert.condition, ValueCondition::Total { .. }) {
                    totals_at.push(item.key.span());
                }
                if let (ValueCondition::State { name, .. }, ItemValue::Nested(tokens, span)) =
                    (&alert.condition, &item.value)
                {
                    state_alerts.push((
                        alerts.len(),
                        presentation::literal_span(tokens, name, *span),
                    ));
                }
                alerts.push(alert);
            }
            "guard" => {
                let (guard, other) = super::guard::parse_guard(item, kind)?;
                match other {
                    Some((true, path)) => references.push(path),
                    Some((false, path)) => denominators.push(path),
                    None => {}
                }
                spec.guard = Some(guard);
            }
            _ => unreachable!("KeySet only admits known keys"),
        }
        Ok(())
    });
    if let (Some(span), true) = (max_series_at, spec.label_keys.is_empty()) {
        errors.push(syn::Error::new(
            span,
            "`max_series` bounds the label sets of a labelled family; declare a label, like `labels(symbol)`, or remove `max_series`",
        ));
    }
    if spec.label_keys.is_empty() {
        for span in totals_at {
            errors.push(syn::Error::new(
                span,
                "`total` sums the label sets of a labelled family; declare a label, like `labels(venue)`, or write `value < X`/`value > X`",
            ));
        }
    }
    for error in presentation::resolve_states(&mut alerts, &state_alerts, &spec.states) {
        errors.push(error);
    }
    spec.alerts = Cow::Owned(alerts);
    errors.finish(ParsedDeclared {
        spec,
        denominators,
        references,
        counters,
    })
}

/// `labels(symbol, venue = "binance")`: a bare key is a label whose value is given at use,
/// `key = "value"` a label every series carries.
fn declared_labels(tokens: &TokenStream) -> syn::Result<(Vec<Label>, Vec<Text>)> {
    let mut errors = Errors::default();
    let (mut bare, mut assigned_items): (Vec<Item>, Vec<Item>) = (Vec::new(), Vec::new());
    for item in parse_items(tokens.clone())? {
        match item.value {
            ItemValue::Bare => bare.push(item),
            _ => assigned_items.push(item),
        }
    }
    let statics = errors
        .ok(labels_of_items(assigned_items))
        .unwrap_or_default();
    let mut keys: Vec<Text> = Vec::new();
    for item in bare {
        let key = item.name();
        if !is_label_name(&key) {
            errors.push(syn::Error::new(
                item.key.span(),
                format!("`{key}` is not a Prometheus label name"),
            ));
        } else if RESERVED_LABELS.contains(&key.as_str()) {
            errors.push(syn::Error::new(
                item.key.span(),
                format!("label `{key}` is set by Prometheus or botwatch; choose another name"),
            ));
        } else if statics.iter().any(|l| l.key == key) || keys.iter().any(|k| *k == key) {
            errors.push(syn::Error::new(
                item.key.span(),
                format!("duplicate label `{key}`"),
            ));
        } else {
            keys.push(Cow::Owned(key));
        }
    }
    errors.finish((statics, keys))
}

fn labels_of_items(items: Vec<Item>) -> syn::Result<Vec<Label>> {
    // Re-render the items as tokens for the shared `key = "value"` parser.
    let mut tokens = TokenStream::new();
    for item in items {
        let key = &item.key;
        match item.value {
            ItemValue::Assigned(value) => tokens.extend(quote_item(key, Some(value))),
            ItemValue::Nested(_, span) => {
                return Err(syn::Error::new(
                    span,
                    format!("write `{key} = \"value\"` or a bare `{key}`"),
                ));
            }
            ItemValue::Bare => tokens.extend(quote_item(key, None)),
        }
    }
    labels(&tokens, RESERVED_LABELS)
}

fn quote_item(key: &Ident, value: Option<TokenStream>) -> TokenStream {
    let mut out = TokenStream::new();
    out.extend([proc_macro2::TokenTree::Ident(key.clone())]);
    if let Some(value) = value {
        let eq: TokenStream = "=".parse().expect("an equals sign");
        out.extend(eq);
        out.extend(value);
    }
    let comma: TokenStream = ",".parse().expect("a comma");
    out.extend(comma);
    out
}

/// `buckets = [0.5, 0.8, 0.9]`: finite bounds, strictly ascending, in the metric's unit.
fn value_buckets(tokens: &TokenStream) -> syn::Result<Vec<f64>> {
    let help = "`buckets` takes a list of ascending bounds: `buckets = [0.5, 0.9, 0.99]`";
    let parsed = (|input: ParseStream<'_>| {
        let content;
        syn::bracketed!(content in input);
        let values = content.parse_terminated(signed_bound, Token![,])?;
        Ok(values.into_iter().collect::<Vec<_>>())
    })
    .parse2(tokens.clone())
    .map_err(|_| syn::Error::new_spanned(tokens, help))?;
    if parsed.is_empty() {
        return Err(syn::Error::new_spanned(
            tokens,
            "`buckets` must not be empty",
        ));
    }
    for pair in parsed.windows(2) {
        if pair[1].0 <= pair[0].0 {
            return Err(syn::Error::new(
                pair[1].1,
                "bucket bounds must be strictly ascending",
            ));
        }
    }
    Ok(parsed.into_iter().map(|(v, _)| v).collect())
}

fn signed_bound(input: ParseStream<'_>) -> syn::Result<(f64, Span)> {
    let negative = input.parse::<Option<Token![-]>>()?.is_some();
    let (value, span) = bucket_bound(input)?;
    Ok((if negative { -value } else { value }, span))
}

fn parse_value_alert(
    item: &Item,
    kind: MetricKind,
) -> syn::Result<(ValueAlert, Option<syn::Path>)> {
    let tokens = nested(item, forms(kind))?;
    let span = match &item.value {
        ItemValue::Nested(_, span) => *span,
        _ => item.key.span(),
    };
    let mut denominator = None;
    let alert = parse_alert_with(
        tokens,
        span,
        forms(kind),
        |condition| {
            let (condition, path) = parse_value_condition(condition, kind)?;
            denominator = path;
            Ok(condition)
        },
        |key, condition| {
            match (key, condition) {
            ("within", ValueCondition::Increase { .. } | ValueCondition::IncreaseRatio { .. }) => Ok(()),
            ("within", _) => Err("`within` only applies to `increase < X`, `increase > X` and `increase / OTHER_COUNTER < X` alerts"),
            ("min_rate", ValueCondition::IncreaseRatio { .. }) => Ok(()),
            ("min_rate", _) => Err(
                "`min_rate` (the other counter's rate below which the alert stays silent) only applies to `increase / OTHER_COUNTER < X` alerts",
            ),
            ("window", _) => Err(
                "`window` and `min_rate` apply to functions' alerts; a declared metric's `rate` reads 5m (or its unit, if longer)",
            ),
            _ => Ok(()),
        }
        },
    )?;
    Ok((alert, denominator))
}

/// The conditions each declaration takes, as the user writes them.
fn forms(kind: MetricKind) -> &'static str {
    match kind {
        MetricKind::Gauge => "`value < 0.5`, `value > X`, `value == X`, `value != X`, `value / OTHER_STATIC > 80%`, `value - OTHER_STATIC > X`, `unchanged > 10m`, `stale > 60s`, `age > 30s`, `lag > X`, `total > X` or `state == \"halted\"`",
        MetricKind::Counter => "`increase < X`, `increase > X`, `increase / OTHER_COUNTER < 20%`, `rate < 1/s`, `rate > 100/m`, `idle > 10m`, `stale > 60s`, `lag > X` or `total > X`",
        MetricKind::Histogram => "`p50`/`p90`/`p95`/`p99`/`p999 < X` or `> X`, or `stale > 60s`",
    }
}

fn words(kind: MetricKind) -> &'static [&'static str] {
    match kind {
        MetricKind::Gauge => &[
            "value",
            "unchanged",
            "stale",
            "age",
            "lag",
            "total",
            "state",
        ],
        MetricKind::Counter => &["increase", "rate", "idle", "stale", "lag", "total"],
        MetricKind::Histogram => &["p50", "p90", "p95", "p99", "p999", "stale"],
    }
}

/// One condition with the path of a ratio's denominator or a gap's reference.
pub(super) fn parse_value_condition(
    tokens: &TokenStream,
    kind: MetricKind,
) -> syn::Result<(ValueCondition, Option<syn::Path>)> {
    let parser = |input: ParseStream<'_>| {
        let word: Ident = input.parse().map_err(|e| {
            syn::Error::new(e.span(), format!("expected a condition: {}", forms(kind)))
        })?;
        let denominator = if input.peek(Token![/]) {
            input.parse::<Token![/]>()?;
            Some((
                false,
                syn::Path::parse_mod_style(input).map_err(|e| {
                    syn::Error::new(e.span(), "write a ratio as `value / OTHER_STATIC > 80%`")
                })?,
            ))
        } else if input.peek(Token![-]) {
            input.parse::<Token![-]>()?;
            Some((
                true,
                syn::Path::parse_mod_style(input).map_err(|e| {
                    syn::Error::new(e.span(), "write a gap as `value - OTHER_STATIC > 5`")
                })?,
            ))
        } else {
            None
        };
        let comparison = if input.peek(Token![==]) {
            input.parse::<Token![==]>()?;
            Some(ValueComparison::Equal)
        } else if input.peek(Token![!=]) {
            input.parse::<Token![!=]>()?;
            Some(ValueComparison::NotEqual)
        } else if input.peek(Token![>]) {
            input.parse::<Token![>]>()?;
            Some(ValueComparison::Above)
        } else if input.peek(Token![<]) {
            input.parse::<Token![<]>()?;
            Some(ValueComparison::Below)
        } else {
            None
        };
        let value: TokenStream = input.parse()?;
        Ok((word, denominator, comparison, value))
    };
    let (word, denominator, comparison, value) = parser.parse2(tokens.clone())?;
    let name = word.to_string();
    let Some(comparison) = comparison.filter(|_| !value.is_empty()) else {
        return Err(syn::Error::new_spanned(
            tokens,
            format!("a condition compares with a value: {}", forms(kind)),
        ));
    };
    let ordered = |comparison: ValueComparison| match comparison {
        ValueComparison::Below => Ok(Comparison::Below),
        ValueComparison::Above => Ok(Comparison::Above),
        _ => Err(syn::Error::new(
            word.span(),
            format!("`{name}` takes `<` or `>`, not `{}`", comparison.symbol()),
        )),
    };
    let condition = match name.as_str() {
        "value" => match &denominator {
            Some((true, path)) => ValueCondition::Gap {
                reference: Cow::Owned(super::values::path_text(path)),
                comparison: ordered(comparison)?,
                threshold: threshold(&value)?,
            },
            Some((false, _)) => ValueCondition::Ratio {
                denominator: Cow::Owned(String::new()),
                comparison: ordered(comparison)?,
                threshold: threshold(&value)?,
            },
            None => ValueCondition::Value {
                comparison,
                threshold: threshold(&value)?,
            },
        },
        "unchanged" => {
            ordered_above(&word, comparison, "unchanged > 10m")?;
            let window = duration(&value)?;
            positive_window(window, &value, "unchanged")?;
            ValueCondition::Unchanged { window }
        }
        "increase" => match &denominator {
            Some((false, path)) => ValueCondition::IncreaseRatio {
                denominator: Cow::Owned(super::values::path_text(path)),
                comparison: ordered(comparison)?,
                threshold: threshold(&value)?,
            },
            _ => ValueCondition::Increase {
                comparison: ordered(comparison)?,
                amount: threshold(&value)?,
            },
        },
        "rate" => {
            let (amount, per) = per_unit(&value)?;
            ValueCondition::Rate {
                comparison: ordered(comparison)?,
                amount,
                per,
            }
        }
        "stale" | "age" => {
            let example = format!("{name} > {}", if name == "stale" { "60s" } else { "30s" });
            ordered_above(&word, comparison, &example)?;
            let window = duration(&value).map_err(|e| {
                syn::Error::new(
                    e.span(),
                    format!("`{name}` takes a duration: write `{example}`"),
                )
            })?;
            positive_window(window, &value, &name)?;
            if name == "stale" {
                ValueCondition::Stale { after: window }
            } else {
                ValueCondition::Age { limit: window }
            }
        }
        "lag" => {
            ordered_above(&word, comparison, "lag > 5")?;
            ValueCondition::Lag {
                threshold: threshold(&value)?,
            }
        }
        "state" => {
            presentation::state_condition(&word, comparison == ValueComparison::Equal, &value)?
        }
        "total" => ValueCondition::Total {
            comparison: ordered(comparison)?,
            threshold: threshold(&value)?,
        },
        "idle" => {
            ordered_above(&word, comparison, "idle > 10m")?;
            let window = duration(&value)?;
            positive_window(window, &value, "idle")?;
            ValueCondition::Idle { window }
        }
        _ if Quantile::from_keyword(&name).is_some() => ValueCondition::Quantile {
            quantile: Quantile::from_keyword(&name).expect("checked above"),
            comparison: ordered(comparison)?,
            threshold: threshold(&value)?,
        },
        _ => {
            let suggestion = crate::suggest::closest(&name, words(kind).iter().copied())
                .map(|close| format!(" did you mean `{close}`?"))
                .unwrap_or_default();
            return Err(syn::Error::new(
                word.span(),
                format!(
                    "unknown alert condition `{name}`;{suggestion} #[{}] takes {}",
                    kind.attribute_name(),
                    forms(kind)
                ),
            ));
        }
    };
    let increase_ratio = name == "increase" && matches!(denominator, Some((false, _)));
    if denominator.is_some() && name != "value" && !increase_ratio {
        return Err(syn::Error::new(
            word.span(),
            "only `value` takes a ratio or a gap, and `increase` a ratio: `value / OTHER_STATIC > 80%`, `value - OTHER_STATIC > 5`, `increase / OTHER_COUNTER < 20%`",
        ));
    }
    if !condition.applies_to().contains(&kind) {
        let on = condition.applies_to()[0];
        return Err(syn::Error::new(
            word.span(),
            format!(
                "`{name}` is a condition of #[{}], not of #[{}]; #[{}] takes {}",
                on.attribute_name(),
                kind.attribute_name(),
                kind.attribute_name(),
                forms(kind)
            ),
        ));
    }
    let condition = match (condition, &denominator) {
        (
            ValueCondition::Ratio {
                comparison,
                threshold,
                ..
            },
            Some((_, path)),
        ) => ValueCondition::Ratio {
            denominator: Cow::Owned(super::values::path_text(path)),
            comparison,
            threshold,
        },
        (condition, _) => condition,
    };
    Ok((condition, denominator.map(|(_, path)| path)))
}

fn ordered_above(word: &Ident, comparison: ValueComparison, example: &str) -> syn::Result<()> {
    if comparison == ValueComparison::Above {
        Ok(())
    } else {
        Err(syn::Error::new(word.span(), format!("write `{example}`")))
    }
}

/// A threshold: a number, negative or not, or a percentage (`80%` is `0.8`).
fn threshold(tokens: &TokenStream) -> syn::Result<f64> {
    let help = "write a number or a percentage, like `0.5`, `-100` or `80%`";
    let parsed = (|input: ParseStream<'_>| {
        let negative = input.parse::<Option<Token![-]>>()?.is_some();
        let lit: Lit = input.parse()?;
        let percent = input.parse::<Option<Token![%]>>()?.is_some();
        Ok((negative, lit, percent))
    })
    .parse2(tokens.clone())
    .map_err(|_| syn::Error::new_spanned(tokens, help))?;
    let (negative, lit, percent) = parsed;
    let value: f64 = match &lit {
        Lit::Int(i) if i.suffix().is_empty() => i.base10_parse()?,
        Lit::Float(f) if f.suffix().is_empty() => f.base10_parse()?,
        _ => return Err(syn::Error::new_spanned(tokens, help)),
    };
    let value = if negative { -value } else { value };
    let value = if percent { value / 100.0 } else { value };
    if !value.is_finite() {
        return Err(syn::Error::new_spanned(tokens, help));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn parse(kind: MetricKind, args: &str) -> syn::Result<ParsedDeclared> {
        parse_declared(
            kind,
            args.parse().expect("tokens"),
            "DAILY_VOLUME_USD",
            "bot",
            None,
        )
    }

    #[test]
    fn the_contracts_examples_parse() {
        let d = parse(
            MetricKind::Gauge,
            "alert(value < 0.5, for = 5m, severity = \"critical\")",
        )
        .unwrap();
        assert_eq!(
            d.spec.alerts[0].condition,
            ValueCondition::Value {
                comparison: ValueComparison::Below,
                threshold: 0.5
            }
        );
        let d = parse(
            MetricKind::Gauge,
            "alert(value / DAILY_LIMIT_USD > 80%, name = \"VolumeLimitApproaching\")",
        )
        .unwrap();
        assert_eq!(
            d.spec.alerts[0].condition,
            ValueCondition::Ratio {
                denominator: "DAILY_LIMIT_USD".into(),
                comparison: Comparison::Above,
                threshold: 0.8
            }
        );
        assert_eq!(d.denominators.len(), 1);
        let d = parse(MetricKind::Counter, "alert(increase < 0.01, within = 6h)").unwrap();
        assert_eq!(
            d.spec.alerts[0].within,
            Some(std::time::Duration::from_secs(6 * 3600))
        );
        let d = parse(
            MetricKind::Histogram,
            "buckets = [0.5, 0.8, 0.9, 0.99], alert(p50 < 0.8)",
        )
        .unwrap();
        assert_eq!(d.spec.bucket_bounds(), vec![0.5, 0.8, 0.9, 0.99]);
        let d = parse(
            MetricKind::Gauge,
            "labels(symbol, venue = \"binance\"), max_series = 10",
        )
        .unwrap();
        assert_eq!(d.spec.label_keys.to_vec(), vec![Cow::Borrowed("symbol")]);
        assert_eq!(d.spec.labels[0].key, "venue");
        let d = parse(
            MetricKind::Gauge,
            "alert(value == 0), alert(value != -1.5), alert(unchanged > 10m)",
        )
        .unwrap();
        assert_eq!(d.spec.alerts.len(), 3);
    }

    #[test]
    fn a_family_keeps_idle_sets_twice_as_long_as_its_quiet_alerts_look() {
        let idle = |kind, args| parse(kind, args).unwrap().spec.label_idle();
        let hours = |h: u64| std::time::Duration::from_secs(h * 3600);
        assert_eq!(idle(MetricKind::Gauge, "labels(symbol)"), hours(1));
        assert_eq!(
            idle(MetricKind::Gauge, "labels(symbol), alert(value > 3)"),
            hours(1),
            "a value alert does not need a quiet series"
        );
        assert_eq!(
            idle(MetricKind::Gauge, "labels(s), alert(unchanged > 45m)"),
            std::time::Duration::from_secs(90 * 60)
        );
        assert_eq!(
            idle(
                MetricKind::Counter,
                "labels(s), alert(increase < 1, within = 6h)"
            ),
            hours(12)
        );
        assert_eq!(
            idle(
                MetricKind::Counter,
                "labels(s), alert(increase > 1, within = 6h)"
            ),
            hours(1),
            "an increase above a line fires on updates, not on their absence"
        );
        assert_eq!(
            idle(MetricKind::Counter, "labels(s), alert(idle > 2h)"),
            hours(4)
        );
        assert_eq!(
            idle(MetricKind::Counter, "labels(s), alert(rate < 1/h)"),
            hours(2)
        );
        assert_eq!(
            idle(MetricKind::Gauge, "labels(s), alert(stale > 40m)"),
            std::time::Duration::from_secs(80 * 60)
        );
    }

    #[test]
    fn misuse_is_an_error_with_the_fix() {
        let e = |kind, args| parse(kind, args).err().expect("an error").to_string();
        assert!(e(MetricKind::Counter, "alert(value < 1)")
            .contains("condition of #[gauge], not of #[counter]"));
        assert!(e(MetricKind::Gauge, "alert(increase < 1)").contains("condition of #[counter]"));
        assert!(e(MetricKind::Gauge, "alert(valu < 1)").contains("did you mean `value`"));
        assert!(e(MetricKind::Gauge, "alert(value < abc)").contains("a number or a percentage"));
        assert!(e(MetricKind::Gauge, "max_series = 5").contains("declare a label"));
        assert!(e(MetricKind::Gauge, "labels(le)").contains("choose another name"));
        assert!(e(MetricKind::Gauge, "buckets = [1.0]").contains("unknown option `buckets`"));
        assert!(e(MetricKind::Histogram, "buckets = [1.0, 0.5]").contains("strictly ascending"));
        assert!(e(MetricKind::Gauge, "alert(value < 1, within = 1h)")
            .contains("only applies to `increase"));
        assert!(e(MetricKind::Counter, "alert(increase == 1)").contains("takes `<` or `>`"));
        assert!(e(MetricKind::Gauge, "alert(unchanged < 10m)").contains("unchanged > 10m"));
        assert!(e(MetricKind::Gauge, "alert(stale > 60)").contains("write `stale > 60s`"));
        assert!(e(MetricKind::Gauge, "alert(age > 5)").contains("write `age > 30s`"));
        assert!(e(MetricKind::Counter, "alert(age > 30s)").contains("condition of #[gauge]"));
        assert!(e(MetricKind::Histogram, "alert(lag > 5)").contains("not of #[histogram]"));
        assert!(e(MetricKind::Gauge, "alert(total > 5)").contains("declare a label"));
        assert!(e(MetricKind::Gauge, "alert(lag < 5)").contains("write `lag > 5`"));
        assert!(e(MetricKind::Gauge, "alert(stale < 1m)").contains("write `stale > 60s`"));
    }

    /// `<` after a path is the comparison, not the start of generic arguments.
    #[test]
    fn a_ratio_below_a_line_parses() {
        let d = parse(MetricKind::Gauge, "alert(value / LIMIT < 50%)").unwrap();
        assert_eq!(
            d.spec.alerts[0].condition.to_string(),
            "value / LIMIT < 50%"
        );
    }

    /// `increase / OTHER` is a ratio of counters, with `within` and `min_rate`; its other
    /// counter is checked as a counter, not as a gauge's denominator.
    #[test]
    fn an_increase_ratio_parses_with_within_and_min_rate() {
        let d = parse(
            MetricKind::Counter,
            "labels(builder), alert(increase / relay::SUBMITTED < 20%, within = 2h, min_rate = 1/m)",
        )
        .unwrap();
        let alert = &d.spec.alerts[0];
        assert_eq!(
            alert.condition.to_string(),
            "increase / relay::SUBMITTED < 20%"
        );
        assert_eq!(alert.within, Some(Duration::from_secs(7200)));
        assert_eq!(alert.min_rate, Some(1.0 / 60.0));
        assert_eq!(
            alert.value_alert_name("BUNDLES_INCLUDED"),
            "BundlesIncludedRatioLow"
        );
        assert_eq!(d.counters.len(), 1);
        assert!(d.denominators.is_empty() && d.references.is_empty());
        let e = |kind, args| parse(kind, args).err().expect("an error").to_string();
        assert!(
            e(MetricKind::Gauge, "alert(increase / OTHER < 1)").contains("condition of #[counter]")
        );
        assert!(
            e(MetricKind::Counter, "alert(increase < 1, min_rate = 1/s)")
                .contains("only applies to `increase / OTHER_COUNTER")
        );
        assert!(e(MetricKind::Counter, "alert(rate / OTHER < 1/s)").contains("`increase` a ratio"));
    }

    #[test]
    fn units_states_and_a_state_alert_parse() {
        let d = parse(
            MetricKind::Gauge,
            "unit = \"USD\", alert(state == \"halted\", severity = \"critical\"), states(0 = \"running\", 1 = \"paused\", 3 = \"halted\")",
        )
        .unwrap();
        assert_eq!(d.spec.unit.as_deref(), Some("USD"));
        assert_eq!(d.spec.states.len(), 3);
        assert_eq!(d.spec.state_name(3.0), Some("halted"));
        assert_eq!(d.spec.state_name(2.0), None);
        // `states` may come after the alert naming one of them.
        assert_eq!(
            d.spec.alerts[0].condition,
            ValueCondition::State {
                name: "halted".into(),
                value: 3.0
            }
        );
        assert_eq!(
            d.spec.alerts[0].value_alert_name("BOT_STATE"),
            "BotStateHalted"
        );
        assert_eq!(
            parse(MetricKind::Counter, "unit = \"ETH\"")
                .unwrap()
                .spec
                .unit
                .as_deref(),
            Some("ETH")
        );
        assert!(parse(MetricKind::Histogram, "unit = \"bps\"").is_ok());
    }

    #[test]
    fn unit_and_state_misuse_is_an_error_with_the_fix() {
        let e = |kind, args| parse(kind, args).err().expect("an error").to_string();
        assert!(e(MetricKind::Gauge, "alert(state == \"halted\")").contains("declare them"));
        assert!(e(
            MetricKind::Gauge,
            "states(0 = \"running\", 3 = \"halted\"), alert(state == \"halte\")"
        )
        .contains("did you mean `halted`"));
        assert!(e(
            MetricKind::Gauge,
            "states(0 = \"running\"), alert(state != \"running\")"
        )
        .contains("write `state == \"halted\"`"));
        assert!(e(
            MetricKind::Gauge,
            "states(0 = \"running\"), alert(state == 0)"
        )
        .contains("write `state == \"halted\"`"));
        assert!(e(MetricKind::Counter, "states(0 = \"a\")").contains("unknown option `states`"));
        assert!(e(MetricKind::Counter, "alert(state == \"a\")").contains("condition of #[gauge]"));
        assert!(e(MetricKind::Gauge, "unit = USD").contains("string literal"));
        assert!(e(MetricKind::Gauge, "unit = \"\"").contains("short word"));
    }

    #[test]
    fn freshness_and_relations_parse() {
        let d = parse(
            MetricKind::Gauge,
            "labels(venue), alert(stale > 60s), alert(age > 30s), alert(value - rpc::HEAD < -5), alert(lag > 3), alert(total > 10)",
        )
        .unwrap();
        let conditions: Vec<String> = d
            .spec
            .alerts
            .iter()
            .map(|a| a.condition.to_string())
            .collect();
        assert_eq!(
            conditions,
            [
                "stale > 1m",
                "age > 30s",
                "value - rpc::HEAD < -5",
                "lag > 3",
                "total > 10"
            ]
        );
        assert_eq!(d.references.len(), 1);
        assert!(d.denominators.is_empty());
        assert!(d.spec.stamps_updates());
        let d = parse(MetricKind::Histogram, "alert(stale > 5m)").unwrap();
        assert!(d.spec.stamps_updates());
        let d = parse(MetricKind::Gauge, "alert(unchanged > 5m)").unwrap();
        assert!(!d.spec.stamps_updates());
    }
}
