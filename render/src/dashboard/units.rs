//! A declared metric's `unit = "..."` as Grafana's unit ids: the currencies and units
//! Grafana knows by name (`USD` is `currencyUSD`, `seconds` is `s`, `ratio` is
//! `percentunit`), and any other word as a suffix (`ETH` is `suffix: ETH`), so a balance
//! reads `1.25 ETH`, not `1.25`.

use std::borrow::Cow;

/// Units Grafana formats itself, by the word written in `unit = "..."`.
const KNOWN: [(&str, &str); 14] = [
    ("USD", "currencyUSD"),
    ("EUR", "currencyEUR"),
    ("GBP", "currencyGBP"),
    ("JPY", "currencyJPY"),
    ("BTC", "currencyBTC"),
    ("percent", "percent"),
    ("ratio", "percentunit"),
    ("seconds", "s"),
    ("milliseconds", "ms"),
    ("bytes", "bytes"),
    ("bps", "suffix: bps"),
    ("bits", "bits"),
    ("requests/s", "reqps"),
    ("ops/s", "ops"),
];

/// Grafana's unit for `unit` (`short` when none is declared).
pub(crate) fn grafana_unit(unit: Option<&str>) -> Cow<'static, str> {
    match unit {
        None => Cow::Borrowed("short"),
        Some(unit) => match KNOWN.iter().find(|(word, _)| *word == unit) {
            Some((_, id)) => Cow::Borrowed(id),
            None => Cow::Owned(format!("suffix: {unit}")),
        },
    }
}

/// The unit of a counter's growth per second: `ETH/s` (`short` when none is declared).
pub(crate) fn per_second(unit: Option<&str>) -> Cow<'static, str> {
    match unit {
        None => Cow::Borrowed("short"),
        Some(unit) => Cow::Owned(format!("suffix: {unit}/s")),
    }
}

/// The range of a dial for `unit`: a share has one (`percent` 0–100, `ratio` 0–1), other
/// units none, and their value shows as a number.
pub(crate) fn dial_range(unit: Option<&str>) -> Option<(f64, f64)> {
    match unit {
        Some("percent") => Some((0.0, 100.0)),
        Some("ratio") => Some((0.0, 1.0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_units_map_to_grafanas_and_others_are_suffixes() {
        assert_eq!(grafana_unit(None), "short");
        assert_eq!(grafana_unit(Some("USD")), "currencyUSD");
        assert_eq!(grafana_unit(Some("ratio")), "percentunit");
        assert_eq!(grafana_unit(Some("seconds")), "s");
        assert_eq!(grafana_unit(Some("ETH")), "suffix: ETH");
        assert_eq!(dial_range(Some("percent")), Some((0.0, 100.0)));
        assert_eq!(dial_range(Some("USD")), None);
        assert_eq!(per_second(Some("ETH")), "suffix: ETH/s");
        assert_eq!(per_second(None), "short");
    }
}
