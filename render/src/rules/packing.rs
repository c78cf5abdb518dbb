//! Probes packed into shared promtool test groups. promtool evaluates every rule of the
//! file at every step of every test group, so a file costs about Σ (steps of each group) ×
//! (cost of one evaluation of all rules): packing probes that cannot see each other into one
//! group makes that Σ of the packed groups' longest horizons instead of Σ of every probe's.
//!
//! Probe P of case X may share a group with probe Q of case Y only when X's rules read none
//! of Q's series (its fleet copies included) and Y's rules read none of P's: X's output in
//! the group is then exactly its output on P alone, so P's expectations stay exact — an
//! `absent()` alert included, since it only sees the series it selects. Two probes checking
//! one alert name (of one case, or of two cases: promtool checks every alert of a name)
//! never share, nor do two probes writing a series of the same name and labels.

use std::time::Duration;

use super::reads::Reads;
use super::scenario::Series;

/// What the packer needs to know of one probe.
pub(super) struct Member<'a> {
    /// The alert name its checks name (two probes of one case share it).
    pub(super) alert: &'a str,
    /// What its case's rules read.
    pub(super) reads: &'a Reads,
    /// Every series it writes, the fleet's copies included.
    pub(super) series: &'a [Series],
    /// Its last check.
    pub(super) horizon: Duration,
    /// It may start later by any multiple of this ([`Probe::may_start_late_by`]).
    ///
    /// [`Probe::may_start_late_by`]: super::scenario::Probe::may_start_late_by
    pub(super) late_by: Option<Duration>,
}

/// How late `member` starts in a group whose longest member ends at `last`: as late as its
/// unit allows without ending after `last` (a day-long window then reads none of the
/// group's steps past its end).
pub(super) fn delay(member: &Member<'_>, last: Duration) -> Duration {
    let Some(unit) = member.late_by.filter(|u| !u.is_zero()) else {
        return Duration::ZERO;
    };
    let room = last.saturating_sub(member.horizon);
    let units = room.as_millis() / unit.as_millis();
    unit * units as u32
}

/// Whether `a` and `b` must be in groups of their own.
pub(super) fn conflict(a: &Member<'_>, b: &Member<'_>) -> bool {
    a.alert == b.alert
        || b.series.iter().any(|s| a.reads.reads(s))
        || a.series.iter().any(|s| b.reads.reads(s))
        || a.series.iter().any(|s| {
            b.series
                .iter()
                .any(|t| s.name == t.name && s.labels == t.labels)
        })
}

/// The members' indices in groups: longest horizon first, each member in the first group
/// where it conflicts with no one (in input order among equal horizons, so the same rules
/// give the same file).
pub(super) fn pack(members: &[Member<'_>]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(members[i].horizon));
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in order {
        let fits = |group: &Vec<usize>| group.iter().all(|&j| !conflict(&members[i], &members[j]));
        match groups.iter_mut().find(|g| fits(g)) {
            Some(group) => group.push(i),
            None => groups.push(vec![i]),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::scenario::Shape;
    use crate::rules::set::RecordingRule;

    fn series(name: &str, labels: &[(&str, &str)]) -> Series {
        Series::with_labels(name, labels, Shape::Counter(vec![(1, 1.0)]))
    }

    fn member<'a>(
        alert: &'a str,
        reads: &'a Reads,
        series: &'a [Series],
        minutes: u64,
    ) -> Member<'a> {
        Member {
            alert,
            reads,
            series,
            horizon: Duration::from_secs(60 * minutes),
            late_by: None,
        }
    }

    /// Two alerts on the same metric and matchers (an error rate and a rate line of one
    /// function) read each other's probes: apart.
    #[test]
    fn probes_read_by_the_other_case_stay_apart() {
        let error_rate = Reads::of(r#"rate(calls_total{function="f"}[5m]) > 1"#, &[]);
        let rate_low = Reads::of(
            r#"rate(calls_total{function="f", module="m"}[5m]) < 1"#,
            &[],
        );
        let p = [series("calls_total", &[("function", "f"), ("module", "m")])];
        let q = [series(
            "calls_total",
            &[("function", "f"), ("module", "m"), ("result", "error")],
        )];
        let members = [
            member("ErrorRateHigh", &error_rate, &p, 10),
            member("RateLow", &rate_low, &q, 5),
        ];
        assert!(conflict(&members[0], &members[1]));
        assert_eq!(pack(&members), [vec![0], vec![1]]);
    }

    /// Another function's alert reads none of these series: one group, longest first.
    #[test]
    fn probes_of_other_functions_share_a_group() {
        let f = Reads::of(r#"rate(calls_total{function="f"}[5m]) > 1"#, &[]);
        let g = Reads::of(r#"absent(calls_total{function="g"})"#, &[]);
        let p = [series("calls_total", &[("function", "f")])];
        let q = [series("calls_total", &[("function", "g")])];
        let members = [
            member("FHigh", &f, &p, 5),
            member("GAbsent", &g, &q, 10),
            member("GAbsent", &g, &q, 3),
        ];
        assert!(!conflict(&members[0], &members[1]));
        // Two probes of one case never share.
        assert!(conflict(&members[1], &members[2]));
        assert_eq!(pack(&members), [vec![1, 0], vec![2]]);
    }

    /// A recording rule an alert reads makes its inputs the alert's.
    #[test]
    fn a_recording_rule_carries_its_inputs_to_the_alert() {
        let recording = [RecordingRule {
            record: "job:slow:ratio".to_owned(),
            expr: r#"rate(duration_bucket{function="f", le="0.1"}[5m])"#.to_owned(),
            labels: Vec::new(),
            long: false,
        }];
        let burn = Reads::of(r#"job:slow:ratio{function="f"} > 0.1"#, &recording);
        let other = Reads::of(r#"rate(calls_total{function="g"}[5m]) > 1"#, &[]);
        let p = [series("job:other", &[])];
        let q = [series(
            "duration_bucket",
            &[("function", "f"), ("le", "0.1")],
        )];
        let members = [
            member("Burn", &burn, &p, 60),
            member("Other", &other, &q, 5),
        ];
        // Whichever comes first: the second's rule reading the first's series is enough.
        assert!(conflict(&members[0], &members[1]));
        assert!(conflict(&members[1], &members[0]));
    }

    /// A regex matcher may match the other's series: apart.
    #[test]
    fn a_regex_matcher_counts_as_a_match() {
        let quantile = Reads::of(
            r#"rate(duration_bucket{function="f", le=~"0\\.1"}[5m]) > 1"#,
            &[],
        );
        let other = Reads::of(r#"up == 0"#, &[]);
        let p = [series("up", &[])];
        let q = [series(
            "duration_bucket",
            &[("function", "f"), ("le", "0.25")],
        )];
        let members = [
            member("Quantile", &quantile, &p, 5),
            member("Down", &other, &q, 5),
        ];
        assert!(conflict(&members[0], &members[1]));
    }

    /// Two probes writing one series (same name and labels) cannot both write it.
    #[test]
    fn probes_writing_the_same_series_stay_apart() {
        let nothing = Reads::nothing();
        let p = [series("x", &[("job", "bot")])];
        let members = [member("A", &nothing, &p, 5), member("B", &nothing, &p, 5)];
        assert!(conflict(&members[0], &members[1]));
    }

    /// A member that may start late ends with the group, within one unit.
    #[test]
    fn a_late_member_ends_with_the_group() {
        let nothing = Reads::nothing();
        let mut m = member("A", &nothing, &[], 540);
        let hour = Duration::from_secs(3600);
        assert_eq!(delay(&m, hour * 12), Duration::ZERO);
        m.late_by = Some(Duration::from_secs(120));
        assert_eq!(
            delay(&m, Duration::from_secs(721 * 60)),
            Duration::from_secs(180 * 60)
        );
        assert_eq!(delay(&m, Duration::from_secs(541 * 60)), Duration::ZERO);
        assert_eq!(
            delay(&m, Duration::from_secs(542 * 60)),
            Duration::from_secs(120)
        );
    }

    /// Alerts of one name are all listed at a check: their probes stay apart.
    #[test]
    fn cases_sharing_an_alert_name_stay_apart() {
        let nothing = Reads::nothing();
        let p = [series("x", &[])];
        let q = [series("y", &[])];
        let members = [
            member("Same", &nothing, &p, 5),
            member("Same", &nothing, &q, 5),
        ];
        assert!(conflict(&members[0], &members[1]));
    }
}
