//! How the build helper's job alerts are set: `BotDown` and `BotRestarting` keep their
//! defaults (down for 1m pages; more than 3 restarts within 15m is a ticket) unless the
//! bot says otherwise — one setup pages on a single restart, another names its alerts
//! after the bot. The Alertmanager configuration reads the same names, so an inhibition
//! keyed on `BotDown` follows a rename.

use std::time::Duration;

/// `BotDown`: the job's `up` is 0, or the job has no target at all.
#[derive(Clone, Debug, PartialEq)]
pub struct BotDown {
    /// The alert's name (default `BotDown`).
    pub name: String,
    /// How long a target must be down or missing (default 1m).
    pub for_: Duration,
    /// Its `severity` label (default `critical`).
    pub severity: String,
}

impl BotDown {
    /// The defaults: `BotDown`, for 1m, critical.
    pub fn new() -> BotDown {
        BotDown {
            name: "BotDown".to_owned(),
            for_: Duration::from_secs(60),
            severity: "critical".to_owned(),
        }
    }

    /// Another name for the alert.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> BotDown {
        self.name = name.into();
        self
    }

    /// How long the job must be down before it fires.
    #[must_use]
    pub fn for_(mut self, for_: Duration) -> BotDown {
        self.for_ = for_;
        self
    }

    /// Its `severity` label.
    #[must_use]
    pub fn severity(mut self, severity: impl Into<String>) -> BotDown {
        self.severity = severity.into();
        self
    }
}

impl Default for BotDown {
    fn default() -> Self {
        BotDown::new()
    }
}

/// `BotRestarting`: more than `restarts` process starts within `within` on one instance.
#[derive(Clone, Debug, PartialEq)]
pub struct BotRestarting {
    /// The alert's name (default `BotRestarting`).
    pub name: String,
    /// Restarts allowed within the window (default 3; 0 fires on the first restart).
    pub restarts: u32,
    /// The window restarts are counted in (default 15m).
    pub within: Duration,
    /// How long the count must stay above `restarts` (default 0s); shorter than `within`.
    pub for_: Duration,
    /// Its `severity` label (default `warning`).
    pub severity: String,
}

impl BotRestarting {
    /// The defaults: `BotRestarting`, more than 3 restarts within 15m, at once, warning.
    pub fn new() -> BotRestarting {
        BotRestarting {
            name: "BotRestarting".to_owned(),
            restarts: 3,
            within: Duration::from_secs(15 * 60),
            for_: Duration::ZERO,
            severity: "warning".to_owned(),
        }
    }

    /// Another name for the alert.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> BotRestarting {
        self.name = name.into();
        self
    }

    /// Restarts allowed within the window: it fires on one more (0: on the first).
    #[must_use]
    pub fn restarts(mut self, restarts: u32) -> BotRestarting {
        self.restarts = restarts;
        self
    }

    /// The window restarts are counted in.
    #[must_use]
    pub fn within(mut self, within: Duration) -> BotRestarting {
        self.within = within;
        self
    }

    /// How long the count must stay above the limit before it fires.
    #[must_use]
    pub fn for_(mut self, for_: Duration) -> BotRestarting {
        self.for_ = for_;
        self
    }

    /// Its `severity` label.
    #[must_use]
    pub fn severity(mut self, severity: impl Into<String>) -> BotRestarting {
        self.severity = severity.into();
        self
    }
}

impl Default for BotRestarting {
    fn default() -> Self {
        BotRestarting::new()
    }
}
