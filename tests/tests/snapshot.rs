//! `botwatch::snapshot()`: every function, breaker and metric read in process, with deltas.

use std::time::Duration;

use botwatch::{SnapshotError, State};

#[derive(Debug)]
enum VenueError {
    Rejected,
    Open,
}

impl From<botwatch::CircuitOpen> for VenueError {
    fn from(_: botwatch::CircuitOpen) -> Self {
        VenueError::Open
    }
}

#[botwatch::counted]
#[botwatch::timed]
#[botwatch::circuit_breaker(name = "snapshot_venue", failures = 2, reset = 1h)]
fn place_order(size: u64) -> Result<u64, VenueError> {
    if size == 0 {
        return Err(VenueError::Rejected);
    }
    std::thread::sleep(Duration::from_millis(2));
    Ok(size)
}

mod spot {
    #[botwatch::counted]
    pub fn cancel() {}
}

mod perp {
    #[botwatch::counted]
    pub fn cancel() {}
}

#[test]
fn counts_durations_and_breakers_between_two_snapshots() {
    place_order(1).unwrap(); // before `earlier`: not in the delta
    let earlier = botwatch::snapshot();
    place_order(3).unwrap();
    place_order(0).unwrap_err();
    place_order(0).unwrap_err(); // the second failure in a row opens the breaker
    assert!(matches!(place_order(5), Err(VenueError::Open)));
    let later = botwatch::snapshot();

    let total = later.calls("place_order").unwrap();
    assert_eq!((total.ok, total.error), (2, 3));

    let delta = later.since(&earlier);
    let calls = delta.calls("place_order").unwrap();
    assert_eq!(
        (calls.ok, calls.error),
        (1, 3),
        "the rejected call is an error too"
    );
    let durations = delta.durations("place_order").unwrap();
    assert_eq!(
        durations.count, 3,
        "the rejected call ran no body: not timed"
    );
    assert!(durations.sum >= Duration::from_millis(2), "{durations:?}");
    assert!(later.durations("place_order").unwrap().sum >= Duration::from_millis(4));

    let relay = delta.breaker("snapshot_venue").unwrap();
    assert_eq!(relay.state, State::Open);
    assert_eq!(
        (relay.successes, relay.failures, relay.rejected),
        (1, 2, 1),
        "{relay:?}"
    );
    assert_eq!(
        relay.consecutive_failures,
        later
            .breaker("snapshot_venue")
            .unwrap()
            .consecutive_failures
    );
    assert_eq!(later.breaker("snapshot_venue").unwrap().successes, 2);
    // The snapshot is a copy: calls after it do not change it.
    place_order(7).unwrap_err();
    assert_eq!(later.calls("place_order").unwrap().error, 3);
}

#[test]
fn names_that_match_nothing_or_several_say_what_to_write() {
    spot::cancel();
    let snapshot = botwatch::snapshot();
    assert_eq!(snapshot.calls("snapshot::spot::cancel").unwrap().ok, 1);
    assert_eq!(snapshot.calls("snapshot::perp::cancel").unwrap().ok, 0);

    let ambiguous = snapshot.calls("cancel").unwrap_err();
    assert!(matches!(ambiguous, SnapshotError::Ambiguous { .. }));
    assert_eq!(
        format!("{ambiguous:?}"),
        "`cancel` names several functions; write one with its module: \
         `snapshot::perp::cancel`, `snapshot::spot::cancel`"
    );

    let typo = snapshot.calls("place_ordr").unwrap_err();
    assert_eq!(
        format!("{typo:?}"),
        "no #[counted] function named `place_ordr` is linked into this binary; did you mean `place_order`?"
    );
    assert!(
        snapshot.durations("cancel").is_err(),
        "cancel is counted, not timed"
    );
    assert_eq!(
        snapshot.breaker("snapshot_venu").unwrap_err().to_string(),
        "no circuit breaker named `snapshot_venu` is linked into this binary; did you mean `snapshot_venue`?"
    );
    assert!(snapshot.value("operator_balance_eth").is_err());
}
