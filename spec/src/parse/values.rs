//! Parsers of single values: durations (`250ms`), rates (`5%`), counts, strings, labels,
//! bucket lists. Each error sits at the literal and says how to write it.

use std::borrow::Cow;
use std::time::Duration;

use proc_macro2::{TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::{Lit, Token};

use super::items::{parse_items, Errors, Item, ItemValue, KeySet};
use crate::model::{Label, Text};
use crate::names::is_label_name;

const DURATION_HELP: &str =
    "write a duration with its unit: `250ms`, `30s`, `5m`, `1h`, `1d` (or `\"30s\"`)";

/// The tokens of `key = value`, or an error at the key saying what it takes.
pub(crate) fn assigned<'a>(item: &'a Item, what: &str) -> syn::Result<&'a TokenStream> {
    match &item.value {
        ItemValue::Assigned(tokens) => Ok(tokens),
        _ => Err(syn::Error::new(
            item.key.span(),
            format!(
                "`{}` takes a value: `{} = {what}`",
                item.name(),
                item.name()
            ),
        )),
    }
}

/// The tokens inside `key(...)`, or an error at the key saying what it takes.
pub(crate) fn nested<'a>(item: &'a Item, what: &str) -> syn::Result<&'a TokenStream> {
    match &item.value {
        ItemValue::Nested(tokens, _) => Ok(tokens),
        _ => Err(syn::Error::new(
            item.key.span(),
            format!("`{}` takes a list: `{}({what})`", item.name(), item.name()),
        )),
    }
}

pub(crate) fn single_lit(tokens: &TokenStream) -> Option<Lit> {
    let mut iter = tokens.clone().into_iter();
    match (iter.next(), iter.next()) {
        (Some(TokenTree::Literal(lit)), None) => Some(Lit::new(lit)),
        _ => None,
    }
}

/// `"..."`
pub(crate) fn string(tokens: &TokenStream, what: &str) -> syn::Result<Text> {
    match single_lit(tokens) {
        Some(Lit::Str(s)) => Ok(Cow::Owned(s.value())),
        _ => Err(syn::Error::new_spanned(
            tokens,
            format!("expected a string literal: {what} = \"...\""),
        )),
    }
}

/// A whole number such as `5`, at least `min`.
pub(crate) fn count(tokens: &TokenStream, key: &str, min: u32) -> syn::Result<u32> {
    let value = match single_lit(tokens) {
        Some(Lit::Int(int)) if int.suffix().is_empty() => int.base10_parse::<u32>().ok(),
        _ => None,
    };
    match value {
        Some(n) if n >= min => Ok(n),
        Some(n) => Err(syn::Error::new_spanned(
            tokens,
            format!("`{key} = {n}` is too small: it must be at least {min}"),
        )),
        None => Err(syn::Error::new_spanned(
            tokens,
            format!(
                "`{key}` takes a whole number, like `{key} = {}`",
                min.max(5)
            ),
        )),
    }
}

/// A plain number such as `2.0` or `2`.
pub(crate) fn number(tokens: &TokenStream, key: &str) -> syn::Result<f64> {
    let value = match single_lit(tokens) {
        Some(Lit::Float(f)) if f.suffix().is_empty() => f.base10_parse::<f64>().ok(),
        Some(Lit::Int(i)) if i.suffix().is_empty() => i.base10_parse::<f64>().ok(),
        _ => None,
    };
    value.filter(|v| v.is_finite()).ok_or_else(|| {
        syn::Error::new_spanned(
            tokens,
            format!("`{key}` takes a number, like `{key} = 2.0`"),
        )
    })
}

/// `250ms`, `30s`, `5m`, `1h`, `1d`, `1.5s`, or the same in a string.
pub(crate) fn duration(tokens: &TokenStream) -> syn::Result<Duration> {
    let (digits, unit) = match single_lit(tokens) {
        Some(Lit::Int(i)) => (i.base10_digits().to_owned(), i.suffix().to_owned()),
        Some(Lit::Float(f)) => (f.base10_digits().to_owned(), f.suffix().to_owned()),
        Some(Lit::Str(s)) => return duration_text(&s.value()).ok_or_else(|| bad_duration(tokens)),
        _ => return Err(bad_duration(tokens)),
    };
    if unit.is_empty() {
        return Err(syn::Error::new_spanned(
            tokens,
            format!("`{digits}` has no unit; {DURATION_HELP}"),
        ));
    }
    duration_text(&format!("{digits}{unit}")).ok_or_else(|| bad_duration(tokens))
}

fn bad_duration(tokens: &TokenStream) -> syn::Error {
    syn::Error::new_spanned(tokens, format!("not a duration; {DURATION_HELP}"))
}

/// Parses `250ms`, `1.5s`, `5m`, `1h`, `1d`, `100us`, `0` is refused.
pub fn duration_text(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let unit_seconds = match unit {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return None,
    };
    let seconds = number * unit_seconds;
    if !seconds.is_finite() || seconds > 1e12 {
        return None;
    }
    Some(Duration::from_nanos((seconds * 1e9).round() as u64))
}

/// A fraction written `5%`, `99.9%`, `0.05` or `"5%"`; above 100% is an error.
pub(crate) fn rate(tokens: &TokenStream, key: &str) -> syn::Result<f64> {
    let parsed = (|input: ParseStream<'_>| {
        let lit: Lit = input.parse()?;
        let percent = input.parse::<Option<Token![%]>>()?.is_some();
        Ok((lit, percent))
    })
    .parse2(tokens.clone());
    let help =
        format!("write a rate as a percentage or a fraction: `{key} = 5%` or `{key} = 0.05`");
    let (lit, percent) = parsed.map_err(|_| syn::Error::new_spanned(tokens, &help))?;
    let (value, percent) = match &lit {
        Lit::Int(i) if i.suffix().is_empty() => (i.base10_parse::<f64>()?, percent),
        Lit::Float(f) if f.suffix().is_empty() => (f.base10_parse::<f64>()?, percent),
        Lit::Str(s) if !percent => {
            let text = s.value();
            match text.trim().strip_suffix('%') {
                Some(p) => (
                    p.trim()
                        .parse()
                        .map_err(|_| syn::Error::new(s.span(), &help))?,
                    true,
                ),
                None => (
                    text.trim()
                        .parse()
                        .map_err(|_| syn::Error::new(s.span(), &help))?,
                    false,
                ),
            }
        }
        _ => return Err(syn::Error::new_spanned(tokens, help)),
    };
    let fraction = if percent { value / 100.0 } else { value };
    if !percent && value > 1.0 {
        return Err(syn::Error::new_spanned(
            tokens,
            format!("`{value}` is more than 1; did you mean `{value}%`?"),
        ));
    }
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(syn::Error::new_spanned(
            tokens,
            format!("`{key}` must be above 0% and at most 100%"),
        ));
    }
    Ok(fraction)
}

/// A Prometheus metric name.
pub(crate) fn metric_name(tokens: &TokenStream) -> syn::Result<Text> {
    let name = string(tokens, "name")?;
    let valid = name.chars().enumerate().all(|(i, c)| {
        c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
    });
    if name.is_empty() || !valid {
        return Err(syn::Error::new_spanned(
            tokens,
            format!(
                "`{name}` is not a Prometheus metric name: use letters, digits, `_` and `:`, \
                 not starting with a digit (like \"orders_submitted_total\")"
            ),
        ));
    }
    Ok(name)
}

/// A per-call label: its key and the expression that gives its value.
pub(crate) type CallLabel = (Text, syn::Expr);

/// A function's `labels(...)`: a string literal is a static label, any other expression a
/// per-call label, returned with its key and the expression as written.
pub(crate) fn metric_labels(
    tokens: &TokenStream,
    reserved: &'static [&'static str],
) -> syn::Result<(Vec<Label>, Vec<CallLabel>)> {
    let mut statics = Vec::new();
    let mut per_call = Vec::new();
    let mut errors = Errors::default();
    for item in parse_items(tokens.clone())? {
        let value = match &item.value {
            ItemValue::Assigned(value) if single_lit(value).is_none() => value,
            _ => {
                // A literal (or a mistake the static parser reports).
                statics.push(item);
                continue;
            }
        };
        let key = item.name();
        match syn::parse2::<syn::Expr>(value.clone()) {
            Ok(expr) => per_call.push((item.key.clone(), key, expr)),
            Err(_) => errors.push(syn::Error::new_spanned(
                value,
                format!("`{key}` takes a string literal or an expression of the arguments, like `{key} = venue.name()`"),
            )),
        }
    }
    let statics = errors.ok(labels_of(statics, reserved)).unwrap_or_default();
    let mut out = Vec::new();
    for (ident, key, expr) in per_call {
        if !is_label_name(&key) {
            errors.push(syn::Error::new(
                ident.span(),
                format!("`{key}` is not a Prometheus label name"),
            ));
        } else if reserved.contains(&key.as_str()) {
            errors.push(syn::Error::new(
                ident.span(),
                format!("label `{key}` is set by botwatch; choose another name"),
            ));
        } else if statics.iter().any(|l| l.key == key)
            || out.iter().any(|(k, _): &CallLabel| *k == key)
        {
            errors.push(syn::Error::new(
                ident.span(),
                format!("duplicate label `{key}`"),
            ));
        } else {
            out.push((Cow::Owned(key), expr));
        }
    }
    errors.finish((statics, out))
}

/// `labels(key = "value", ...)`; keys in `reserved` belong to botwatch.
pub(crate) fn labels(
    tokens: &TokenStream,
    reserved: &'static [&'static str],
) -> syn::Result<Vec<Label>> {
    labels_of(parse_items(tokens.clone())?, reserved)
}

fn labels_of(items: Vec<Item>, reserved: &'static [&'static str]) -> syn::Result<Vec<Label>> {
    let mut errors = Errors::default();
    let mut out: Vec<Label> = Vec::new();
    for item in items {
        let key = item.name();
        if !is_label_name(&key) {
            errors.push(syn::Error::new(
                item.key.span(),
                format!("`{key}` is not a Prometheus label name"),
            ));
            continue;
        }
        if reserved.contains(&key.as_str()) {
            let list = reserved
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>();
            errors.push(syn::Error::new(
                item.key.span(),
                format!(
                    "label `{key}` is set by botwatch; choose another name (reserved: {})",
                    list.join(", ")
                ),
            ));
            continue;
        }
        if out.iter().any(|l| l.key == key) {
            errors.push(syn::Error::new(
                item.key.span(),
                format!("duplicate label `{key}`"),
            ));
            continue;
        }
        let value = assigned(&item, "\"value\"").and_then(|v| {
            let value = string(v, &key)?;
            if value.len() > crate::names::MAX_LABEL_VALUE {
                return Err(syn::Error::new_spanned(
                    v,
                    "label values are limited to 1024 bytes: every series carries them on every scrape",
                ));
            }
            Ok(value)
        });
        if let Some(value) = errors.ok(value) {
            out.push(Label {
                key: Cow::Owned(key),
                value,
            });
        }
    }
    errors.finish(out)
}

/// `[0.001, 0.01, 0.1]`: positive, finite seconds.
pub(crate) fn buckets(tokens: &TokenStream) -> syn::Result<Vec<f64>> {
    let parsed = (|input: ParseStream<'_>| {
        let content;
        syn::bracketed!(content in input);
        let values = content.parse_terminated(bucket_bound, Token![,])?;
        Ok(values.into_iter().collect::<Vec<_>>())
    })
    .parse2(tokens.clone());
    let values = parsed.map_err(|_| {
        syn::Error::new_spanned(
            tokens,
            "`buckets` takes a list of bounds in seconds: `buckets = [0.001, 0.01, 0.1, 1.0]`",
        )
    })?;
    if values.is_empty() {
        return Err(syn::Error::new_spanned(
            tokens,
            "`buckets` must not be empty",
        ));
    }
    let mut out = Vec::with_capacity(values.len());
    for (value, span) in values {
        if !(value.is_finite() && value > 0.0) {
            return Err(syn::Error::new(
                span,
                "a bucket bound must be a positive number of seconds",
            ));
        }
        out.push(value);
    }
    Ok(out)
}

pub(crate) fn bucket_bound(input: ParseStream<'_>) -> syn::Result<(f64, proc_macro2::Span)> {
    let lit: Lit = input.parse()?;
    let value = match &lit {
        Lit::Float(f) if f.suffix().is_empty() => f.base10_parse()?,
        Lit::Int(i) if i.suffix().is_empty() => i.base10_parse()?,
        _ => return Err(syn::Error::new(lit.span(), "expected a number of seconds")),
    };
    Ok((value, lit.span()))
}

/// A path to a predicate, `failure_if = is_transient`; `signature` is what it must be,
/// like `fn(&E) -> bool`.
pub(crate) fn path(tokens: &TokenStream, key: &str, signature: &str) -> syn::Result<syn::Path> {
    syn::parse2::<syn::Path>(tokens.clone()).map_err(|_| {
        syn::Error::new_spanned(
            tokens,
            format!(
                "`{key}` takes the path of a `{signature}`, like `{key} = {}`",
                predicate_example(key)
            ),
        )
    })
}

fn predicate_example(key: &str) -> &'static str {
    match key {
        "ignore_if" => "errors::is_nonce_too_low",
        "success_if" => "responses::is_accepted",
        "error_if" => "responses::is_rejected",
        "ok_if" => "orders::would_cross",
        _ => "errors::is_transient",
    }
}

/// A path as the model keeps it: its segments joined by `::`, generics left out.
pub(crate) fn path_text(path: &syn::Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let prefix = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{prefix}{}", segments.join("::"))
}

/// `true` or `false`, `latency = false`.
pub(crate) fn boolean(tokens: &TokenStream, key: &str) -> syn::Result<bool> {
    match syn::parse2::<syn::LitBool>(tokens.clone()) {
        Ok(lit) => Ok(lit.value),
        Err(_) => Err(syn::Error::new_spanned(
            tokens,
            format!("`{key}` takes `true` or `false`, like `{key} = false`"),
        )),
    }
}

/// Checks the keys of a list and hands each known item to `handle`, collecting errors.
pub(crate) fn for_each_item(
    items: Vec<Item>,
    keys: &mut KeySet,
    errors: &mut Errors,
    mut handle: impl FnMut(&Item, &str) -> syn::Result<()>,
) {
    for item in items {
        if let Err(e) = keys.check(&item) {
            errors.push(e);
            continue;
        }
        let name = item.name();
        if let Err(e) = handle(&item, &name) {
            errors.push(e);
        }
    }
}

/// A duration that must not be zero (`reset`, `label_idle`).
pub(crate) fn nonzero(
    d: std::time::Duration,
    value: &TokenStream,
    key: &str,
) -> syn::Result<std::time::Duration> {
    if d.is_zero() {
        return Err(syn::Error::new_spanned(
            value,
            format!("`{key}` must be longer than zero"),
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> TokenStream {
        s.parse().expect("test tokens")
    }

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(duration(&ts("250ms")).unwrap(), Duration::from_millis(250));
        assert_eq!(duration(&ts("30s")).unwrap(), Duration::from_secs(30));
        assert_eq!(duration(&ts("5m")).unwrap(), Duration::from_secs(300));
        assert_eq!(duration(&ts("1h")).unwrap(), Duration::from_secs(3600));
        assert_eq!(duration(&ts("1d")).unwrap(), Duration::from_secs(86_400));
        assert_eq!(duration(&ts("1.5s")).unwrap(), Duration::from_millis(1500));
        assert_eq!(duration(&ts("\"30s\"")).unwrap(), Duration::from_secs(30));
        assert_eq!(duration(&ts("100us")).unwrap(), Duration::from_micros(100));
    }

    #[test]
    fn durations_without_a_unit_are_refused_with_the_fix() {
        let e = duration(&ts("30")).unwrap_err().to_string();
        assert!(e.contains("has no unit"), "{e}");
        let e = duration(&ts("30y")).unwrap_err().to_string();
        assert!(e.contains("not a duration"), "{e}");
    }

    #[test]
    fn rates_as_percent_or_fraction() {
        assert_eq!(rate(&ts("5%"), "r").unwrap(), 0.05);
        assert!((rate(&ts("99.9%"), "r").unwrap() - 0.999).abs() < 1e-12);
        assert_eq!(rate(&ts("0.05"), "r").unwrap(), 0.05);
        assert_eq!(rate(&ts("\"5%\""), "r").unwrap(), 0.05);
        assert!(rate(&ts("150%"), "r").is_err());
        assert!(rate(&ts("5"), "r").unwrap_err().to_string().contains("5%"));
        assert!(rate(&ts("0%"), "r").is_err());
    }
}
