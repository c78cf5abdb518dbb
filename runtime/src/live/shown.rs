//! A declared metric's value as the page shows it: the name `states(...)` gives it
//! (`halted`), or the number with its `unit` (`1.25 ETH`, `42%` for `percent`, `42%` for a
//! `ratio` of 0.42). The page's script writes the same from `snapshot.json`'s `unit` and
//! `state`, so the page reads alike before and after its first poll.

use super::alerts::{number, percent};

/// `value` as shown: its state's name with the number after it, or the number and unit.
pub(crate) fn shown(value: f64, unit: Option<&str>, state: Option<&str>) -> String {
    if let Some(state) = state {
        return format!("{state} ({})", number(value));
    }
    match unit {
        None => number(value),
        Some("percent") => format!("{}%", number(value)),
        Some("ratio") => percent(value),
        Some(unit) => format!("{} {unit}", number(value)),
    }
}

/// A condition's `text` with the unit its threshold is in: `value < 0.5 ETH`,
/// `value > 80%` for `percent`; a `ratio`'s thresholds are written as shares already
/// (`value > 5%`), and a metric without a unit has none to add.
pub(crate) fn with_unit(text: String, unit: Option<&str>) -> String {
    match unit {
        None | Some("ratio") => text,
        Some("percent") if text.ends_with('%') => text,
        Some("percent") => format!("{text}%"),
        Some(unit) => format!("{text} {unit}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_by_name_units_after_the_number() {
        assert_eq!(shown(3.0, None, Some("halted")), "halted (3)");
        assert_eq!(shown(1.25, Some("ETH"), None), "1.25 ETH");
        assert_eq!(shown(42.0, Some("percent"), None), "42%");
        assert_eq!(shown(0.425, Some("ratio"), None), "42.5%");
        assert_eq!(shown(2.5, None, None), "2.5");
    }

    #[test]
    fn thresholds_carry_the_unit() {
        assert_eq!(
            with_unit("value < 0.5".into(), Some("ETH")),
            "value < 0.5 ETH"
        );
        assert_eq!(
            with_unit("value > 80".into(), Some("percent")),
            "value > 80%"
        );
        assert_eq!(with_unit("value > 5%".into(), Some("ratio")), "value > 5%");
        assert_eq!(with_unit("lag > 3".into(), None), "lag > 3");
    }
}
