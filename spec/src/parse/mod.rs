//! Parsing and validating attribute arguments from tokens (feature `syn`).
//!
//! The macros call this on `#[counted(...)]`'s arguments; the build helper calls it on the
//! same tokens found in source files. Errors carry the span of the key or literal at fault
//! and say how to fix it.

mod alert;
mod breaker;
mod declared;
mod guard;
mod items;
mod path;
mod presentation;
mod values;

use std::borrow::Cow;

use proc_macro2::{Span, TokenStream};

use crate::model::{Attribute, AttributeKind, Counted, MetricOptions, Text, Timed};
use items::{parse_items, Item, KeySet};
use presentation::quantiles;
use values::{assigned, buckets, for_each_item, metric_name, nested, string};

pub use breaker::ParsedBreaker;
pub use declared::{help_from_doc, parse_declared, ParsedDeclared};
pub use items::Errors;
pub use path::{attribute_path, AttributePath};
pub use values::duration_text;

/// Labels every function metric carries, which `labels(...)` may not set.
const METRIC_RESERVED_LABELS: &[&str] = &["function", "module", "result", "le", "breaker", "key"];

const COUNTED_KEYS: &[&str] = &[
    "name",
    "help",
    "labels",
    "max_series",
    "label_idle",
    "alert",
    "slo",
    "error_if",
    "ok_if",
    "in_flight",
];
const TIMED_KEYS: &[&str] = &[
    "name",
    "help",
    "labels",
    "max_series",
    "label_idle",
    "buckets",
    "quantiles",
    "alert",
    "slo",
    "in_flight",
];
const REPEATABLE: &[&str] = &["alert"];

/// An attribute parsed from tokens, with the parts only the macro needs (predicate paths).
// Built once per attribute at compile time and consumed at once: size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    /// `#[counted(...)]`
    Counted(ParsedCounted),
    /// `#[timed(...)]`
    Timed(ParsedTimed),
    /// `#[circuit_breaker(...)]`
    CircuitBreaker(ParsedBreaker),
}

impl Parsed {
    /// The plain model, without syn types.
    pub fn into_attribute(self) -> Attribute {
        match self {
            Parsed::Counted(c) => Attribute::Counted(c.spec),
            Parsed::Timed(t) => Attribute::Timed(t.spec),
            Parsed::CircuitBreaker(b) => Attribute::CircuitBreaker(b.spec),
        }
    }
}

/// Parses and validates the arguments of one attribute.
pub fn parse_attribute(kind: AttributeKind, tokens: TokenStream) -> syn::Result<Parsed> {
    match kind {
        AttributeKind::Counted => parse_counted_with_paths(tokens).map(Parsed::Counted),
        AttributeKind::Timed => parse_timed_with_labels(tokens).map(Parsed::Timed),
        AttributeKind::CircuitBreaker => {
            breaker::parse_circuit_breaker(tokens).map(Parsed::CircuitBreaker)
        }
    }
}

/// Parses `#[counted(...)]`'s arguments.
pub fn parse_counted(tokens: TokenStream) -> syn::Result<Counted> {
    parse_counted_with_paths(tokens).map(|parsed| parsed.spec)
}

/// A parsed `#[counted(...)]`: the model plus what the macro evaluates at each call.
pub struct ParsedCounted {
    /// The plain model.
    pub spec: Counted,
    /// `error_if = path`, as tokens with the user's spans.
    pub error_if: Option<syn::Path>,
    /// `ok_if = path`, as tokens with the user's spans.
    pub ok_if: Option<syn::Path>,
    /// Per-call labels: each key with its expression, in the order written.
    pub call_labels: Vec<(Text, syn::Expr)>,
    /// Each `calls / path::to::other_fn` alert's other function, as tokens with the user's
    /// spans, so the macro can make a misspelt path a compile error at that path.
    pub ratio_paths: Vec<syn::Path>,
}

/// A parsed `#[timed(...)]`: the model plus its per-call label expressions.
pub struct ParsedTimed {
    /// The plain model.
    pub spec: Timed,
    /// Per-call labels: each key with its expression, in the order written.
    pub call_labels: Vec<(Text, syn::Expr)>,
}

fn parse_counted_with_paths(tokens: TokenStream) -> syn::Result<ParsedCounted> {
    let mut counted = Counted::default();
    let mut error_if = None;
    let mut ok_if = None;
    let mut call_labels = Vec::new();
    let mut max_series_at = None;
    let mut label_idle_at = None;
    let mut errors = Errors::default();
    let mut keys = KeySet::new("#[counted]", COUNTED_KEYS, REPEATABLE);
    let (mut alerts, mut slos) = (Vec::new(), Vec::new());
    let mut ratio_paths = Vec::new();
    for_each_item(parse_items(tokens)?, &mut keys, &mut errors, |item, key| {
        match key {
            "alert" => {
                let tokens = nested(item, "error_rate > 5%")?;
                alerts.push(alert::parse_alert(
                    tokens,
                    span_of(item),
                    AttributeKind::Counted,
                )?);
                ratio_paths.extend(alert::calls_ratio_path(tokens));
            }
            "slo" => slos.push(alert::parse_slo(
                nested(item, "objective = 99.5%")?,
                span_of(item),
                AttributeKind::Counted,
            )?),
            "error_if" => {
                let p = values::path(
                    assigned(item, "path::to::predicate")?,
                    key,
                    "fn(&T) -> bool",
                )?;
                counted.error_if = Some(Cow::Owned(values::path_text(&p)));
                error_if = Some(p);
            }
            "ok_if" => {
                let p = values::path(
                    assigned(item, "path::to::predicate")?,
                    key,
                    "fn(&E) -> bool",
                )?;
                counted.ok_if = Some(Cow::Owned(values::path_text(&p)));
                ok_if = Some(p);
            }
            _ => {
                match key {
                    "max_series" => max_series_at = Some(item.key.span()),
                    "label_idle" => label_idle_at = Some(item.key.span()),
                    _ => {}
                }
                metric_option(&mut counted.metric, &mut call_labels, item, key)?;
            }
        }
        Ok(())
    });
    counted.alerts = Cow::Owned(alerts);
    counted.slos = Cow::Owned(slos);
    check_max_series(max_series_at, &call_labels, &mut errors);
    check_label_idle(label_idle_at, &call_labels, &mut errors);
    if let (Some(span), Some(idle)) = (label_idle_at, counted.metric.label_idle) {
        let floor = counted.label_idle_floor();
        if idle < floor {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`label_idle` must be at least twice the window of this function's `idle` and `rate <` alerts ({}): \
                     an evicted label set would stop those alerts from firing for it; write `label_idle = {}` or more",
                    crate::names::prometheus_duration(floor / 2),
                    crate::names::prometheus_duration(floor)
                ),
            ));
        }
    }
    errors.finish(ParsedCounted {
        spec: counted,
        error_if,
        ok_if,
        call_labels,
        ratio_paths,
    })
}

/// Parses `#[timed(...)]`'s arguments.
pub fn parse_timed(tokens: TokenStream) -> syn::Result<Timed> {
    parse_timed_with_labels(tokens).map(|parsed| parsed.spec)
}

fn parse_timed_with_labels(tokens: TokenStream) -> syn::Result<ParsedTimed> {
    let mut call_labels = Vec::new();
    let mut max_series_at = None;
    let mut label_idle_at = None;
    let mut timed = Timed::default();
    let mut errors = Errors::default();
    let mut keys = KeySet::new("#[timed]", TIMED_KEYS, REPEATABLE);
    let (mut alerts, mut slos) = (Vec::new(), Vec::new());
    for_each_item(parse_items(tokens)?, &mut keys, &mut errors, |item, key| {
        match key {
            "alert" => alerts.push(alert::parse_alert(
                nested(item, "p99 > 250ms")?,
                span_of(item),
                AttributeKind::Timed,
            )?),
            "slo" => slos.push(alert::parse_slo(
                nested(item, "objective = 99.9%, latency = 250ms")?,
                span_of(item),
                AttributeKind::Timed,
            )?),
            "buckets" => {
                timed.buckets = Some(Cow::Owned(buckets(assigned(item, "[0.001, 0.01, 0.1]")?)?));
            }
            "quantiles" => {
                timed.quantiles = Some(Cow::Owned(quantiles(nested(item, "0.5, 0.95, 0.99")?)?));
            }
            _ => {
                match key {
                    "max_series" => max_series_at = Some(item.key.span()),
                    "label_idle" => label_idle_at = Some(item.key.span()),
                    _ => {}
                }
                metric_option(&mut timed.metric, &mut call_labels, item, key)?;
            }
        }
        Ok(())
    });
    timed.alerts = Cow::Owned(alerts);
    timed.slos = Cow::Owned(slos);
    check_max_series(max_series_at, &call_labels, &mut errors);
    check_label_idle(label_idle_at, &call_labels, &mut errors);
    errors.finish(ParsedTimed {
        spec: timed,
        call_labels,
    })
}

/// `max_series` bounds per-call label sets: without any it has nothing to bound.
fn check_max_series(
    max_series_at: Option<Span>,
    call_labels: &[(Text, syn::Expr)],
    errors: &mut Errors,
) {
    if let (Some(span), true) = (max_series_at, call_labels.is_empty()) {
        errors.push(syn::Error::new(
            span,
            "`max_series` bounds the label sets of per-call labels; add one, like `labels(venue = venue.name())`, or remove `max_series`",
        ));
    }
}

/// `label_idle` evicts per-call label sets: without any it has nothing to evict.
fn check_label_idle(at: Option<Span>, call_labels: &[(Text, syn::Expr)], errors: &mut Errors) {
    if let (Some(span), true) = (at, call_labels.is_empty()) {
        errors.push(syn::Error::new(
            span,
            "`label_idle` evicts idle label sets of per-call labels; add one, like `labels(venue = venue.name())`, or remove `label_idle`",
        ));
    }
}

/// `name`, `help`, `labels`, `max_series` and `label_idle`, shared by `counted` and `timed`.
fn metric_option(
    metric: &mut MetricOptions,
    call_labels: &mut Vec<(Text, syn::Expr)>,
    item: &Item,
    key: &str,
) -> syn::Result<()> {
    match key {
        "max_series" => metric.max_series = Some(values::count(assigned(item, "100")?, key, 1)?),
        "label_idle" => {
            let value = assigned(item, "1h")?;
            metric.label_idle = Some(values::nonzero(values::duration(value)?, value, key)?);
        }
        "name" => metric.name = Some(metric_name(assigned(item, "\"my_metric\"")?)?),
        "help" => metric.help = Some(string(assigned(item, "\"...\"")?, "help")?),
        "in_flight" => {
            if !matches!(item.value, items::ItemValue::Bare) {
                return Err(syn::Error::new(
                    item.key.span(),
                    "`in_flight` takes no value: write `in_flight`",
                ));
            }
            metric.in_flight = true;
        }
        "labels" => {
            let (statics, per_call) = values::metric_labels(
                nested(item, "venue = \"binance\"")?,
                METRIC_RESERVED_LABELS,
            )?;
            metric.labels = Cow::Owned(statics);
            metric.call_labels = Cow::Owned(per_call.iter().map(|(k, _)| k.clone()).collect());
            *call_labels = per_call;
        }
        _ => unreachable!("KeySet only admits known keys"),
    }
    Ok(())
}

fn span_of(item: &Item) -> Span {
    match &item.value {
        items::ItemValue::Nested(_, span) => *span,
        _ => item.key.span(),
    }
}
