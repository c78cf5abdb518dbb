//! How a declared metric reads to a person: `unit = "USD"` and a gauge's
//! `states(0 = "running", 1 = "paused", 3 = "halted")`, and `state == "halted"` in its
//! alerts resolved to the value it names, and the quantile lines `quantiles(0.5, 0.95)` of
//! `#[timed]` chooses. Each error sits at the token and says the fix.

use std::borrow::Cow;

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::{Lit, LitStr, Token};

use super::values::string;
use crate::declared::{StateName, ValueAlert, ValueCondition};

/// The longest unit written: a suffix on a stat panel, not a sentence.
const MAX_UNIT_CHARS: usize = 16;

/// `unit = "USD"`: a short word (letters, digits, `/`, `%`, `$`, `€`, `£`, `_`, `-`, `.`,
/// spaces inside).
pub(crate) fn unit(tokens: &TokenStream) -> syn::Result<String> {
    let unit = string(tokens, "unit")?.into_owned();
    let allowed = |c: char| c.is_alphanumeric() || "/%$€£_-. ".contains(c);
    let trimmed = unit.trim();
    if trimmed.is_empty()
        || trimmed != unit
        || unit.chars().count() > MAX_UNIT_CHARS
        || !unit.chars().all(allowed)
    {
        return Err(syn::Error::new_spanned(
            tokens,
            format!(
                "a unit is a short word of at most {MAX_UNIT_CHARS} characters: `unit = \"USD\"`, `\"ETH\"`, `\"percent\"` (0-100), `\"ratio\"` (0-1), `\"seconds\"`, `\"bytes\"`"
            ),
        ));
    }
    Ok(unit)
}

const STATES_HELP: &str = "write `states(0 = \"running\", 1 = \"paused\", 3 = \"halted\")`: each value of the gauge and its name";

/// A state's name: a letter, then letters, digits, `_`, `-` or spaces (it becomes the
/// suffix of an alert's name, `Halted`).
fn valid_state_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' '))
        && !name.ends_with(' ')
}

/// `states(0 = "running", 1 = "paused", 3 = "halted")`: distinct values, distinct names.
pub(crate) fn states(tokens: &TokenStream) -> syn::Result<Vec<StateName>> {
    let entry = |input: ParseStream<'_>| -> syn::Result<(f64, Span, LitStr)> {
        let negative = input.parse::<Option<Token![-]>>()?.is_some();
        let lit: Lit = input.parse()?;
        let value = match &lit {
            Lit::Int(i) if i.suffix().is_empty() => i.base10_parse::<f64>()?,
            Lit::Float(f) if f.suffix().is_empty() => f.base10_parse::<f64>()?,
            _ => return Err(syn::Error::new(lit.span(), STATES_HELP)),
        };
        input.parse::<Token![=]>()?;
        let name: LitStr = input.parse()?;
        Ok((if negative { -value } else { value }, lit.span(), name))
    };
    let parsed = (|input: ParseStream<'_>| {
        Ok(input
            .parse_terminated(entry, Token![,])?
            .into_iter()
            .collect::<Vec<_>>())
    })
    .parse2(tokens.clone())
    .map_err(|e| syn::Error::new(e.span(), STATES_HELP))?;
    if parsed.is_empty() {
        return Err(syn::Error::new_spanned(tokens, STATES_HELP));
    }
    let mut out: Vec<StateName> = Vec::new();
    for (value, value_span, name) in parsed {
        let text = name.value();
        if !value.is_finite() {
            return Err(syn::Error::new(value_span, STATES_HELP));
        }
        if !valid_state_name(&text) {
            return Err(syn::Error::new(
                name.span(),
                format!("`{text}` is not a state name: start with a letter, then letters, digits, `_`, `-` or spaces (`\"halted\"`)"),
            ));
        }
        if out.iter().any(|s| s.value == value) {
            return Err(syn::Error::new(
                value_span,
                format!("the value {value} is named twice; give each value one name"),
            ));
        }
        if out.iter().any(|s| s.name == text) {
            return Err(syn::Error::new(
                name.span(),
                format!("the state `{text}` is named twice; give each state its own name"),
            ));
        }
        out.push(StateName {
            value,
            name: Cow::Owned(text),
        });
    }
    Ok(out)
}

/// `state == "halted"`'s name, or an error at the condition saying how to write it.
pub(crate) fn state_condition(
    word: &proc_macro2::Ident,
    equal: bool,
    value: &TokenStream,
) -> syn::Result<ValueCondition> {
    let name = match (equal, super::values::single_lit(value)) {
        (true, Some(Lit::Str(s))) => s.value(),
        _ => {
            return Err(syn::Error::new(
                word.span(),
                "write `state == \"halted\"`, naming one of the gauge's `states(...)`",
            ))
        }
    };
    Ok(ValueCondition::State {
        name: Cow::Owned(name),
        value: f64::NAN,
    })
}

/// Gives each `state == "..."` alert the value `states` names, or an error at the name
/// (the alert's tokens `spans` were parsed from, in order) listing the states declared.
pub(crate) fn resolve_states(
    alerts: &mut [ValueAlert],
    spans: &[(usize, Span)],
    states: &[StateName],
) -> Vec<syn::Error> {
    let mut errors = Vec::new();
    for (index, span) in spans {
        let ValueCondition::State { name, value } = &mut alerts[*index].condition else {
            continue;
        };
        match states.iter().find(|s| s.name == *name) {
            Some(state) => *value = state.value,
            None if states.is_empty() => errors.push(syn::Error::new(
                *span,
                format!("`state == \"{name}\"` names a value of the gauge's states; declare them, like `states(0 = \"running\", 3 = \"{name}\")`"),
            )),
            None => {
                let names: Vec<String> = states.iter().map(|s| format!("`{}`", s.name)).collect();
                let suggestion = crate::suggest::closest(name, states.iter().map(|s| &*s.name))
                    .map(|close| format!(" did you mean `{close}`?"))
                    .unwrap_or_default();
                errors.push(syn::Error::new(
                    *span,
                    format!(
                        "unknown state `{name}`;{suggestion} the gauge's states are {}",
                        names.join(", ")
                    ),
                ))
            }
        }
    }
    errors
}

/// The span of the string literal `"name"` among an alert's tokens, or `fallback`.
pub(crate) fn literal_span(tokens: &TokenStream, name: &str, fallback: Span) -> Span {
    let wanted = format!("{name:?}");
    tokens
        .clone()
        .into_iter()
        .find_map(|t| match t {
            TokenTree::Literal(lit) if lit.to_string() == wanted => Some(lit.span()),
            _ => None,
        })
        .unwrap_or(fallback)
}

const QUANTILES_HELP: &str =
    "`quantiles` takes fractions among 0.5, 0.9, 0.95, 0.99 and 0.999: `quantiles(0.5, 0.95, 0.99)`";

/// `quantiles(0.5, 0.95, 0.99)` of `#[timed]`: the lines its panel draws, each once.
pub(crate) fn quantiles(tokens: &TokenStream) -> syn::Result<Vec<crate::model::Quantile>> {
    let parsed = (|input: ParseStream<'_>| {
        Ok(input
            .parse_terminated(|input: ParseStream<'_>| input.parse::<Lit>(), Token![,])?
            .into_iter()
            .collect::<Vec<_>>())
    })
    .parse2(tokens.clone())
    .map_err(|e| syn::Error::new(e.span(), QUANTILES_HELP))?;
    if parsed.is_empty() {
        return Err(syn::Error::new_spanned(tokens, QUANTILES_HELP));
    }
    let mut out = Vec::new();
    for lit in parsed {
        let fraction = match &lit {
            Lit::Float(f) if f.suffix().is_empty() => f.base10_parse::<f64>().ok(),
            _ => None,
        };
        let quantile = fraction.and_then(|f| {
            crate::model::Quantile::ALL
                .into_iter()
                .find(|q| q.fraction() == f)
        });
        match quantile {
            Some(q) if out.contains(&q) => {
                return Err(syn::Error::new(
                    lit.span(),
                    format!("{} is listed twice", q.keyword()),
                ))
            }
            Some(q) => out.push(q),
            None => return Err(syn::Error::new(lit.span(), QUANTILES_HELP)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> TokenStream {
        text.parse().unwrap()
    }

    #[test]
    fn quantiles_are_the_five_keywords_fractions() {
        use crate::model::Quantile;
        assert_eq!(
            quantiles(&tokens("0.5, 0.95, 0.99")).unwrap(),
            [Quantile::P50, Quantile::P95, Quantile::P99]
        );
        let e = |t: &str| quantiles(&tokens(t)).expect_err(t).to_string();
        assert!(e("0.75").contains("among 0.5, 0.9"));
        assert!(e("0.5, 0.5").contains("p50 is listed twice"));
        assert!(e("p95").contains("among 0.5, 0.9"));
        assert!(e("").contains("among 0.5, 0.9"));
    }

    #[test]
    fn units_are_short_words() {
        assert_eq!(unit(&tokens("\"USD\"")).unwrap(), "USD");
        assert_eq!(unit(&tokens("\"ETH/s\"")).unwrap(), "ETH/s");
        for bad in [
            "\"\"",
            "\" USD\"",
            "\"a<b>\"",
            "\"a very long unit name\"",
            "USD",
        ] {
            assert!(unit(&tokens(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn states_are_distinct_values_and_names() {
        let parsed = states(&tokens(
            "0 = \"running\", 1 = \"paused\", -1 = \"half-open\"",
        ))
        .unwrap();
        let pairs: Vec<(f64, &str)> = parsed.iter().map(|s| (s.value, &*s.name)).collect();
        assert_eq!(
            pairs,
            [(0.0, "running"), (1.0, "paused"), (-1.0, "half-open")]
        );
        let e = |t: &str| states(&tokens(t)).expect_err(t).to_string();
        assert!(e("0 = \"a\", 0 = \"b\"").contains("named twice"));
        assert!(e("0 = \"a\", 1 = \"a\"").contains("named twice"));
        assert!(e("0 = \"1st\"").contains("not a state name"));
        assert!(e("running = 0").contains("write `states("));
        assert!(e("").contains("write `states("));
    }
}
