//! `errors > N`, `within`, `window` and `min_rate` reach the binary: the rules rendered at
//! run time from the embedded model hold them.

#[botwatch::counted(
    alert(errors > 3, within = 10m),
    alert(error_rate > 5%, window = 10m, min_rate = 30/m)
)]
fn submit() -> Result<(), String> {
    Ok(())
}

#[botwatch::timed(alert(p99 > 250ms, window = 15m))]
fn simulate() {}

fn main() {
    let _ = submit();
    simulate();
    let rules = botwatch::rules::yaml();
    assert!(rules.contains("- alert: SubmitErrors"), "{rules}");
    // `errors > 3, within = 10m`: the rises of the last 10m, a subquery one step (15s) shorter.
    assert!(rules.contains("[585s:15s])) > 3"), "{rules}");
    assert!(rules.contains(">= 0.5'"), "{rules}");
    assert!(rules.contains("le) (rate(function_calls_duration_seconds_bucket{function=\"simulate\""), "{rules}");
    assert!(rules.contains("[15m]))) > 0.25"), "{rules}");
}
