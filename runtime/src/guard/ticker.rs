//! The one thread that judges the guards reading time (`stale`, `age`, a `for` that ends
//! with no update). Started only when such a guard exists; it ticks every
//! [`TICK`], so a guard engages within one tick of its deadline plus one tick of
//! dating the last update (update stamps are dated by their first read): within 200 ms.

use std::time::Duration;

/// How often the ticker judges.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// Starts the ticker (once: the guards are set up once).
pub(crate) fn start() {
    let spawned = std::thread::Builder::new()
        .name("botwatch-guards".into())
        .spawn(|| loop {
            std::thread::sleep(TICK);
            super::tick();
        });
    if let Err(error) = spawned {
        eprintln!(
            "botwatch: cannot start the guards' ticker thread ({error}); `stale`, `age` and `for` \
             of guards are judged only on updates and snapshots"
        );
    }
}
