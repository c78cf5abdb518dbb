//! `guard(CONDITION, open = "trading", for = 2s, latch)` on a declared metric: the kill
//! switch's condition (one the process can judge, see [`Guard::judged_in_process`]) and
//! which breakers it holds open.

use std::borrow::Cow;

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::{LitStr, Token};

use super::declared::parse_value_condition;
use super::items::{parse_items, split_first, Errors, Item, ItemValue, KeySet};
use super::values::{assigned, duration, for_each_item, nested};
use crate::declared::MetricKind;
use crate::guard::Guard;
use crate::model::Text;

const GUARD_KEYS: &[&str] = &["open", "for", "latch"];

/// What a guard takes, as the user writes it.
const FORMS: &str = "`value < X`, `value > X`, `value == X`, `value != X`, `value / OTHER_STATIC > 80%`, `value - OTHER_STATIC > X`, `stale > 5s`, `age > 30s` or `state == \"halted\"`";

/// The inside of `guard(...)`: the guard, and the path of a ratio's denominator or a gap's
/// reference (`true` for a gap), for the macro's checks.
pub(crate) fn parse_guard(
    item: &Item,
    kind: MetricKind,
) -> syn::Result<(Guard, Option<(bool, syn::Path)>)> {
    let tokens = nested(item, "value > 5%, open = \"trading\"")?;
    let span = match &item.value {
        ItemValue::Nested(_, span) => *span,
        _ => item.key.span(),
    };
    let (condition_tokens, rest) = split_first(tokens.clone())?;
    if condition_tokens.is_empty() {
        return Err(syn::Error::new(
            span,
            format!("`guard(...)` starts with its condition: {FORMS}"),
        ));
    }
    let mut errors = Errors::default();
    let parsed = errors.ok(condition(&condition_tokens, kind));
    let mut guard = parsed
        .as_ref()
        .map(|(c, _)| Guard::new(c.clone()))
        .unwrap_or_else(|| Guard::new(crate::declared::ValueCondition::Lag { threshold: 0.0 }));
    let mut latch_at = None;
    let mut keys = KeySet::new("guard(...)", GUARD_KEYS, &[]);
    for_each_item(parse_items(rest)?, &mut keys, &mut errors, |item, key| {
        match key {
            "open" => guard.open = Cow::Owned(breaker_names(assigned(item, "\"trading\"")?)?),
            "for" => guard.for_ = Some(duration(assigned(item, "2s")?)?),
            "latch" => {
                if !matches!(item.value, ItemValue::Bare) {
                    return Err(syn::Error::new(
                        item.key.span(),
                        "`latch` takes no value: write `latch`",
                    ));
                }
                latch_at = Some(item.key.span());
                guard.latch = true;
            }
            _ => unreachable!("KeySet only admits known keys"),
        }
        Ok(())
    });
    if let (Some(span), true) = (latch_at, guard.open.is_empty()) {
        errors.push(syn::Error::new(
            span,
            "`latch` keeps the guard's breakers open after it clears, and this guard opens none; name them, like `open = \"trading\"`, or remove `latch`",
        ));
    }
    errors.finish((guard, parsed.and_then(|(_, path)| path)))
}

/// The condition, refused with the reason when the process cannot judge it.
fn condition(
    tokens: &TokenStream,
    kind: MetricKind,
) -> syn::Result<(crate::declared::ValueCondition, Option<(bool, syn::Path)>)> {
    let (condition, path) = parse_value_condition(tokens, kind)?;
    if let Err(why) = Guard::judged_in_process(&condition) {
        return Err(syn::Error::new_spanned(
            tokens,
            format!(
                "a guard cannot watch `{condition}`: {why}; a guard takes {FORMS} (use `alert({condition})` to be told instead)"
            ),
        ));
    }
    let is_gap = matches!(condition, crate::declared::ValueCondition::Gap { .. });
    Ok((condition, path.map(|p| (is_gap, p))))
}

/// `"trading"` or `["trading", "hedging"]`: breaker names, each given once.
fn breaker_names(tokens: &TokenStream) -> syn::Result<Vec<Text>> {
    let help = "`open` takes a breaker's name or a list of them: `open = \"trading\"` or `open = [\"trading\", \"hedging\"]`";
    let names: Vec<LitStr> = (|input: ParseStream<'_>| {
        if input.peek(syn::token::Bracket) {
            let content;
            syn::bracketed!(content in input);
            Ok(content
                .parse_terminated(|i: ParseStream<'_>| i.parse::<LitStr>(), Token![,])?
                .into_iter()
                .collect())
        } else {
            Ok(vec![input.parse::<LitStr>()?])
        }
    })
    .parse2(tokens.clone())
    .map_err(|_| syn::Error::new_spanned(tokens, help))?;
    if names.is_empty() {
        return Err(syn::Error::new_spanned(tokens, help));
    }
    let mut out: Vec<Text> = Vec::new();
    for name in names {
        let value = name.value();
        if value.trim().is_empty() {
            return Err(syn::Error::new(
                name.span(),
                "a breaker's name is not empty",
            ));
        }
        if out.iter().any(|n| *n == value) {
            return Err(syn::Error::new(
                name.span(),
                format!("breaker \"{value}\" is named twice"),
            ));
        }
        out.push(Cow::Owned(value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::declared::{MetricKind, ValueComparison, ValueCondition};
    use crate::parse::parse_declared;

    fn parse(kind: MetricKind, args: &str) -> syn::Result<crate::parse::ParsedDeclared> {
        parse_declared(kind, args.parse().expect("tokens"), "DRAWDOWN", "bot", None)
    }

    fn error(kind: MetricKind, args: &str) -> String {
        parse(kind, args).err().expect("an error").to_string()
    }

    #[test]
    fn the_contracts_guard_parses() {
        let d = parse(
            MetricKind::Gauge,
            "guard(value > 5%, open = \"trading\", for = 2s, latch)",
        )
        .unwrap();
        let guard = d.spec.guard.expect("a guard");
        assert_eq!(
            guard.condition,
            ValueCondition::Value {
                comparison: ValueComparison::Above,
                threshold: 0.05
            }
        );
        assert_eq!(guard.open.to_vec(), ["trading"]);
        assert_eq!(guard.for_, Some(Duration::from_secs(2)));
        assert!(guard.latch);
        let d = parse(
            MetricKind::Gauge,
            "guard(value < 0.5, open = [\"a\", \"b\"])",
        )
        .unwrap();
        assert_eq!(d.spec.guard.unwrap().open.to_vec(), ["a", "b"]);
    }

    #[test]
    fn a_watchdog_opens_nothing_and_a_stale_guard_stamps_updates() {
        let d = parse(MetricKind::Histogram, "guard(stale > 5s)").unwrap();
        assert!(d.spec.guard.as_ref().unwrap().open.is_empty());
        assert!(d.spec.stamps_updates(), "the guard reads update times");
    }

    #[test]
    fn ratios_and_gaps_name_their_other_gauge() {
        let d = parse(
            MetricKind::Gauge,
            "guard(value / LIMIT > 80%, open = \"t\")",
        )
        .unwrap();
        assert_eq!(d.denominators.len(), 1);
        let d = parse(MetricKind::Gauge, "guard(value - HEAD < -5, open = \"t\")").unwrap();
        assert_eq!(d.references.len(), 1);
    }

    /// Each refusal says why the process cannot judge the condition.
    #[test]
    fn conditions_only_prometheus_sees_are_refused_with_the_reason() {
        assert!(
            error(MetricKind::Counter, "guard(increase > 5, open = \"t\")")
                .contains("only Prometheus keeps")
        );
        assert!(error(MetricKind::Histogram, "guard(p99 > 5, open = \"t\")")
            .contains("a quantile is read from histogram buckets"));
        assert!(error(MetricKind::Gauge, "guard(lag > 5)").contains("best replica"));
        assert!(
            error(MetricKind::Counter, "guard(rate < 1/s)").contains("cannot watch `rate < 1/s`")
        );
    }

    #[test]
    fn misuse_is_an_error_with_the_fix() {
        assert!(error(MetricKind::Gauge, "guard(value > 1, latch)").contains("opens none"));
        assert!(error(MetricKind::Gauge, "guard(value > 1, open = 3)").contains("`open` takes"));
        assert!(
            error(MetricKind::Gauge, "guard(value > 1, open = [\"a\", \"a\"])")
                .contains("named twice")
        );
        assert!(error(MetricKind::Gauge, "guard(value > 1, opne = \"a\")")
            .contains("did you mean `open`"));
        assert!(
            error(MetricKind::Gauge, "guard(value > 1), guard(value < 0)")
                .contains("duplicate option `guard`")
        );
        assert!(error(MetricKind::Gauge, "guard(open = \"a\")").contains("a condition compares"));
        assert!(error(
            MetricKind::Gauge,
            "guard(value > 1, latch = true, open = \"a\")"
        )
        .contains("takes no value"));
    }
}
