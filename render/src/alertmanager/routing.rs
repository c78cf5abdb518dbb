//! What the user says about routing, in build.rs: who is paged, who gets tickets, which
//! team gets its own alerts, the dead-man's switch, the named time intervals, and the
//! timings. Everything else (the tree, the grouping, the inhibitions) is derived from the
//! alerts themselves.

use std::time::Duration;

use super::intervals::TimeInterval;
use super::receivers::Receiver;

/// The default `repeat_interval` of the dead-man's switch route.
pub const DEAD_MANS_SWITCH_EVERY: Duration = Duration::from_secs(60);

/// The receiver name the dead-man's switch gets.
pub const DEAD_MANS_SWITCH_RECEIVER: &str = "dead-mans-switch";

/// How the generated Alertmanager configuration routes the bot's alerts.
#[derive(Clone, Debug, PartialEq)]
#[must_use = "a Routing does nothing until given to Rules::alertmanager_to"]
pub struct Routing {
    pub(super) page: Option<Receiver>,
    pub(super) ticket: Option<Receiver>,
    pub(super) teams: Vec<(String, Receiver)>,
    pub(super) dead_mans_switch: Option<(String, Duration)>,
    pub(super) intervals: Vec<(String, TimeInterval)>,
    pub(super) distinct_by: Vec<String>,
    pub(super) group_wait: Duration,
    pub(super) group_interval: Duration,
    pub(super) repeat_interval: Duration,
}

impl Default for Routing {
    fn default() -> Self {
        Routing::new()
    }
}

impl Routing {
    /// No receiver yet; Alertmanager's usual timings (group_wait 30s, group_interval 5m,
    /// repeat_interval 4h).
    pub fn new() -> Routing {
        Routing {
            page: None,
            ticket: None,
            teams: Vec::new(),
            dead_mans_switch: None,
            intervals: Vec::new(),
            distinct_by: Vec::new(),
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_secs(5 * 60),
            repeat_interval: Duration::from_secs(4 * 3600),
        }
    }

    /// Who is paged: every alert with `severity="critical"`, a team's too.
    pub fn page(mut self, receiver: Receiver) -> Routing {
        self.page = Some(receiver);
        self
    }

    /// Who gets everything else (the root route's receiver).
    pub fn ticket(mut self, receiver: Receiver) -> Routing {
        self.ticket = Some(receiver);
        self
    }

    /// Where the non-critical alerts with `labels(team = "<team>")` go.
    pub fn team(mut self, team: impl Into<String>, receiver: Receiver) -> Routing {
        self.teams.push((team.into(), receiver));
        self
    }

    /// Adds the always-firing `Watchdog` alert to the rules and routes it to `url` (a
    /// dead-man's-switch service: healthchecks.io, Dead Man's Snitch, PagerDuty's) every
    /// minute; when it stops arriving, monitoring itself is down.
    pub fn dead_mans_switch(mut self, url: impl Into<String>) -> Routing {
        self.dead_mans_switch = Some((url.into(), DEAD_MANS_SWITCH_EVERY));
        self
    }

    /// How often the `Watchdog` is re-sent to the dead-man's switch (default 1m); give
    /// [`dead_mans_switch`](Routing::dead_mans_switch) first.
    pub fn dead_mans_switch_every(mut self, every: Duration) -> Routing {
        if let Some((_, repeat)) = &mut self.dead_mans_switch {
            *repeat = every;
        }
        self
    }

    /// A named time interval for `alert(..., during = "<name>")`.
    pub fn time_interval(mut self, name: impl Into<String>, interval: TimeInterval) -> Routing {
        self.intervals.push((name.into(), interval));
        self
    }

    /// A label Prometheus adds to every alert (an `external_labels` entry such as `bot`)
    /// that tells one bot's alerts from another's on a shared Alertmanager: every
    /// inhibition then also requires it to be equal, so one bot going down never silences
    /// another.
    pub fn distinct_by(mut self, label: impl Into<String>) -> Routing {
        self.distinct_by.push(label.into());
        self
    }

    /// How long a new group waits for more alerts before its first notification.
    pub fn group_wait(mut self, wait: Duration) -> Routing {
        self.group_wait = wait;
        self
    }

    /// How long a group waits before notifying about alerts added to it.
    pub fn group_interval(mut self, interval: Duration) -> Routing {
        self.group_interval = interval;
        self
    }

    /// How long before a still-firing group is notified again.
    pub fn repeat_interval(mut self, interval: Duration) -> Routing {
        self.repeat_interval = interval;
        self
    }

    /// Whether it has a dead-man's switch (then the rules need the `Watchdog`).
    pub fn has_dead_mans_switch(&self) -> bool {
        self.dead_mans_switch.is_some()
    }

    /// Every receiver, in the order they are listed: page, ticket, teams (each name once).
    pub(super) fn receivers(&self) -> Vec<&Receiver> {
        let mut all: Vec<&Receiver> = Vec::new();
        let given = self
            .page
            .iter()
            .chain(&self.ticket)
            .chain(self.teams.iter().map(|(_, r)| r));
        for receiver in given {
            if !all.iter().any(|r| r.name == receiver.name) {
                all.push(receiver);
            }
        }
        all
    }

    /// The root route's receiver: the ticket one, else the pager.
    pub(super) fn root(&self) -> Option<&Receiver> {
        self.ticket.as_ref().or(self.page.as_ref())
    }
}
