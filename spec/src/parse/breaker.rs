//! `#[circuit_breaker(...)]`'s arguments, with the checks that span several options.

use std::borrow::Cow;

use proc_macro2::{Span, TokenStream};

use super::alert::parse_alert;
use super::items::{parse_items, Errors, KeySet};
use super::values::{
    assigned, boolean, count, duration, for_each_item, nested, nonzero, number, path, path_text,
    rate, string,
};
use crate::model::{AttributeKind, CircuitBreaker};

const BREAKER_KEYS: &[&str] = &[
    "name",
    "failures",
    "failure_rate",
    "window",
    "min_calls",
    "slow",
    "reset",
    "backoff",
    "max_reset",
    "half_open",
    "successes",
    "failure_if",
    "ignore_if",
    "success_if",
    "probe_timeout",
    "latency",
    "per",
    "max_keys",
    "alert",
];

/// A parsed `#[circuit_breaker(...)]`: the model plus the predicate paths the macro calls.
pub struct ParsedBreaker {
    /// The plain model.
    pub spec: CircuitBreaker,
    /// `failure_if = path`, as tokens with the user's spans.
    pub failure_if: Option<syn::Path>,
    /// `ignore_if = path`, as tokens with the user's spans.
    pub ignore_if: Option<syn::Path>,
    /// `success_if = path`, as tokens with the user's spans.
    pub success_if: Option<syn::Path>,
    /// `per = EXPR`, evaluated at each call with the arguments in scope.
    pub per: Option<syn::Expr>,
}

/// Where each option was written, for errors that involve two of them.
#[derive(Default)]
struct Written {
    spans: Vec<(String, Span)>,
}

impl Written {
    fn span(&self, key: &str) -> Option<Span> {
        self.spans.iter().find(|(k, _)| k == key).map(|(_, s)| *s)
    }
}

pub(super) fn parse_circuit_breaker(tokens: TokenStream) -> syn::Result<ParsedBreaker> {
    let mut spec = CircuitBreaker::default();
    let mut failure_if = None;
    let mut ignore_if = None;
    let mut success_if = None;
    let mut per = None;
    let mut alerts = Vec::new();
    let mut written = Written::default();
    let mut errors = Errors::default();
    let mut keys = KeySet::new("#[circuit_breaker]", BREAKER_KEYS, &["alert"]);
    for_each_item(parse_items(tokens)?, &mut keys, &mut errors, |item, key| {
        if key == "alert" {
            let tokens = nested(item, "open")?;
            alerts.push(parse_alert(
                tokens,
                item.key.span(),
                AttributeKind::CircuitBreaker,
            )?);
            return Ok(());
        }
        let value = assigned(item, example(key))?;
        written.spans.push((key.to_owned(), value_span(value)));
        match key {
            "name" => {
                let name = string(value, "name")?;
                if name.trim().is_empty() {
                    return Err(syn::Error::new_spanned(
                        value,
                        "a breaker's name must not be empty",
                    ));
                }
                spec.name = Some(name);
            }
            "failures" => spec.failures = Some(count(value, key, 1)?),
            "failure_rate" => spec.failure_rate = Some(rate(value, key)?),
            "window" => spec.window = count(value, key, 1)?,
            "min_calls" => spec.min_calls = count(value, key, 1)?,
            "half_open" => spec.half_open = count(value, key, 1)?,
            "successes" => spec.successes = count(value, key, 1)?,
            "slow" => spec.slow = Some(nonzero(duration(value)?, value, key)?),
            "reset" => spec.reset = nonzero(duration(value)?, value, key)?,
            "max_reset" => spec.max_reset = Some(nonzero(duration(value)?, value, key)?),
            "backoff" => {
                let factor = number(value, key)?;
                if factor < 1.0 {
                    return Err(syn::Error::new_spanned(
                        value,
                        "`backoff` multiplies `reset` after each failed probe; it must be at least 1.0, like `backoff = 2.0`",
                    ));
                }
                spec.backoff = Some(factor);
            }
            "failure_if" => {
                let p = path(value, key, "fn(&E) -> bool")?;
                spec.failure_if = Some(Cow::Owned(path_text(&p)));
                failure_if = Some(p);
            }
            "ignore_if" => {
                let p = path(value, key, "fn(&E) -> bool")?;
                spec.ignore_if = Some(Cow::Owned(path_text(&p)));
                ignore_if = Some(p);
            }
            "success_if" => {
                let p = path(value, key, "fn(&T) -> bool")?;
                spec.success_if = Some(Cow::Owned(path_text(&p)));
                success_if = Some(p);
            }
            "probe_timeout" => spec.probe_timeout = nonzero(duration(value)?, value, key)?,
            "latency" => spec.latency = boolean(value, key)?,
            "per" => {
                let expr = syn::parse2::<syn::Expr>(value.clone()).map_err(|_| {
                    syn::Error::new_spanned(
                        value,
                        "`per` takes an expression of the arguments that names the key, like `per = venue.id()`",
                    )
                })?;
                spec.per = Some(Cow::Owned(value.to_string()));
                per = Some(expr);
            }
            "max_keys" => spec.max_keys = count(value, key, 1)?,
            _ => unreachable!("KeySet only admits BREAKER_KEYS"),
        }
        Ok(())
    });
    spec.alerts = Cow::Owned(alerts);
    if errors.is_empty() {
        check_combinations(&spec, &written, &mut errors);
    }
    errors.finish(ParsedBreaker {
        spec,
        failure_if,
        ignore_if,
        success_if,
        per,
    })
}

/// Checks that involve several options, each reported at the option that must change.
fn check_combinations(spec: &CircuitBreaker, written: &Written, errors: &mut Errors) {
    if spec.failure_rate.is_none() {
        for key in ["window", "min_calls"] {
            if let Some(span) = written.span(key) {
                errors.push(syn::Error::new(
                    span,
                    format!("`{key}` only applies with `failure_rate`; add `failure_rate = 50%` or remove `{key}`"),
                ));
            }
        }
    }
    if spec.per.is_none() {
        if let Some(span) = written.span("max_keys") {
            errors.push(syn::Error::new(
                span,
                "`max_keys` bounds the keys of a `per` breaker; add `per = venue.id()` or remove `max_keys`",
            ));
        }
    }
    if spec.min_calls > spec.window {
        let span = written.span("min_calls").or(written.span("window"));
        errors.push(syn::Error::new(
            span.unwrap_or_else(Span::call_site),
            format!(
                "`min_calls = {}` can never be reached within `window = {}`; make min_calls at most window",
                spec.min_calls, spec.window
            ),
        ));
    }
    if let Some(max_reset) = spec.max_reset {
        let span = written.span("max_reset").unwrap_or_else(Span::call_site);
        if spec.backoff.is_none() {
            errors.push(syn::Error::new(
                span,
                "`max_reset` caps the backed-off reset; add `backoff = 2.0` or remove `max_reset`",
            ));
        } else if max_reset < spec.reset {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`max_reset` ({:?}) is shorter than `reset` ({:?}); it must be at least reset",
                    max_reset, spec.reset
                ),
            ));
        }
    }
    if spec.failure_if.is_some() && spec.failure_if == spec.ignore_if {
        let span = written.span("ignore_if").unwrap_or_else(Span::call_site);
        errors.push(syn::Error::new(
            span,
            "the same predicate cannot both count and ignore an error",
        ));
    }
}

fn value_span(tokens: &TokenStream) -> Span {
    tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

fn example(key: &str) -> &'static str {
    match key {
        "name" => "\"exchange\"",
        "failure_rate" => "50%",
        "slow" => "2s",
        "reset" => "30s",
        "max_reset" => "5m",
        "probe_timeout" => "1m",
        "latency" => "false",
        "per" => "venue.id()",
        "backoff" => "2.0",
        "failure_if" | "ignore_if" | "success_if" => "path::to::predicate",
        _ => "5",
    }
}
