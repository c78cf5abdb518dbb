//! "Did you mean ...": the valid word nearest to a misspelt one, shared by the attribute
//! grammar (options, alert conditions) and the runtime's test API (function names).

/// The candidate nearest to `word`, if it is near enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < word.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev + usize::from(ca != *cb);
            prev = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(prev + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_suggest_the_valid_word() {
        let valid = ["name", "failures", "failure_rate", "reset", "half_open"];
        assert_eq!(closest("failres", valid), Some("failures"));
        assert_eq!(closest("rest", valid), Some("reset"));
        assert_eq!(closest("retries", valid), None);
        assert_eq!(
            closest("eror_rate", ["error_rate", "idle", "rate", "errors"]),
            Some("error_rate")
        );
    }
}
