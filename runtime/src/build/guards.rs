//! Build-time check of guards: `guard(..., open = "trading")` must name a breaker some
//! scanned `#[circuit_breaker]` function declares — a typo would otherwise be a kill switch
//! that holds nothing.

use botwatch_spec::guard::Guard;

use super::scan::{FoundDeclared, FoundSite};
use super::BuildError;

/// The first guard whose `open` names a breaker no scanned function declares, as an error
/// naming the guard's declaration and the breaker (with the nearest declared name).
pub(super) fn unknown_guard_breaker(
    sites: &[FoundSite],
    declared: &[FoundDeclared],
) -> Option<BuildError> {
    let breakers: Vec<String> = sites
        .iter()
        .filter_map(|found| found.site.breaker_name().map(|n| n.into_owned()))
        .collect();
    for found in declared {
        let Some(guard) = &found.declared.guard else {
            continue;
        };
        for name in guard.open.iter() {
            if breakers.iter().any(|b| b == name) {
                continue;
            }
            let suggestion =
                botwatch_spec::suggest::closest(name, breakers.iter().map(String::as_str))
                    .map(str::to_owned);
            return Some(BuildError::UnknownGuardBreaker {
                guard: Guard::guard_name(&found.declared.static_name),
                declaration: format!("{} ({})", found.declared.origin(), found.location),
                breaker: name.to_string(),
                suggestion,
            });
        }
    }
    None
}
