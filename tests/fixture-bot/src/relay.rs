//! Methods behind one shared breaker, with breaker alerts on both.

use botwatch::CircuitOpen;

#[derive(Debug)]
pub(crate) struct RelayError;

impl From<CircuitOpen> for RelayError {
    fn from(_: CircuitOpen) -> Self {
        RelayError
    }
}

#[derive(Default)]
pub(crate) struct Relay {
    sent: u64,
}

impl Relay {
    #[botwatch::counted(alert(error_rate > 10%, for = 2m, severity = "critical", labels(team = "execution"), runbook = "https://runbooks.example/relay"))]
    #[botwatch::circuit_breaker(name = "relay", failures = 3, reset = 5s, alert(open), alert(flapping > 5, within = 30m))]
    pub(crate) fn submit(&mut self, bundle: u64) -> Result<u64, RelayError> {
        self.sent += bundle;
        Ok(self.sent)
    }

    /// A bundle the relay reported on chain: the inclusion rate of `submit`.
    #[botwatch::counted(
        alert(calls / Self::submit < 20%, min_rate = 1/m),
        alert(in_flight > 5),
        alert(oldest > 10m, severity = "critical")
    )]
    pub(crate) fn landed(&mut self) {}

    // Same breaker, same options, same alert: one rule.
    #[botwatch::circuit_breaker(name = "relay", failures = 3, reset = 5s, alert(open))]
    pub(crate) fn cancel(&mut self, bundle: u64) -> Result<u64, RelayError> {
        self.sent = self.sent.saturating_sub(bundle);
        Ok(self.sent)
    }
}
