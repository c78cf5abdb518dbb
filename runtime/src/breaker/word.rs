//! The breaker's whole admission state packed in one `u64`, so the closed-state fast path
//! is a single atomic load and half-open permits are taken with one compare-and-swap.
//!
//! Layout, low bits first: state (2 bits), forced (1), probes in flight (16), successful
//! probes (16), epoch (29). Every change of state starts a new epoch; a call's result only
//! counts if the epoch it was admitted in is still current.

use super::State;

const STATE_BITS: u32 = 2;
const FORCED_SHIFT: u32 = STATE_BITS;
const IN_FLIGHT_SHIFT: u32 = FORCED_SHIFT + 1;
const SUCCESSES_SHIFT: u32 = IN_FLIGHT_SHIFT + 16;
const EPOCH_SHIFT: u32 = SUCCESSES_SHIFT + 16;
const FIELD_MASK: u64 = 0xFFFF;
const EPOCH_MASK: u64 = (1 << (64 - EPOCH_SHIFT)) - 1;

/// The most probes or successes a word can hold; the grammar keeps options below it.
pub(crate) const MAX_FIELD: u32 = FIELD_MASK as u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Word {
    pub(crate) state: State,
    /// Held open by `force_open()`: no probes until `force_closed()` or `reset()`.
    pub(crate) forced: bool,
    /// Half-open probes admitted and not yet finished.
    pub(crate) in_flight: u32,
    /// Half-open probes that succeeded in this epoch.
    pub(crate) probe_successes: u32,
    pub(crate) epoch: u32,
}

impl Word {
    pub(crate) const INITIAL: Word = Word {
        state: State::Closed,
        forced: false,
        in_flight: 0,
        probe_successes: 0,
        epoch: 0,
    };

    pub(crate) fn pack(self) -> u64 {
        let state = match self.state {
            State::Closed => 0,
            State::Open => 1,
            State::HalfOpen => 2,
        };
        state
            | (u64::from(self.forced) << FORCED_SHIFT)
            | ((u64::from(self.in_flight) & FIELD_MASK) << IN_FLIGHT_SHIFT)
            | ((u64::from(self.probe_successes) & FIELD_MASK) << SUCCESSES_SHIFT)
            | ((u64::from(self.epoch) & EPOCH_MASK) << EPOCH_SHIFT)
    }

    pub(crate) fn unpack(bits: u64) -> Word {
        let state = match bits & 0b11 {
            0 => State::Closed,
            1 => State::Open,
            _ => State::HalfOpen,
        };
        Word {
            state,
            forced: (bits >> FORCED_SHIFT) & 1 == 1,
            in_flight: ((bits >> IN_FLIGHT_SHIFT) & FIELD_MASK) as u32,
            probe_successes: ((bits >> SUCCESSES_SHIFT) & FIELD_MASK) as u32,
            epoch: ((bits >> EPOCH_SHIFT) & EPOCH_MASK) as u32,
        }
    }

    /// The epoch of a closed word, read without decoding the rest: the check every call of
    /// a healthy breaker makes.
    #[inline(always)]
    pub(crate) fn closed_epoch(bits: u64) -> Option<u32> {
        (bits & 0b11 == 0).then_some(((bits >> EPOCH_SHIFT) & EPOCH_MASK) as u32)
    }

    /// The first word of a new epoch in `state`. Probes still running keep their slots:
    /// "at most `half_open` probes at once" holds across half-open periods too.
    pub(crate) fn next(self, state: State) -> Word {
        Word {
            state,
            forced: false,
            in_flight: self.in_flight,
            probe_successes: 0,
            epoch: (self.epoch + 1) & EPOCH_MASK as u32,
        }
    }

    /// Whether a permit of `epoch` was admitted before epoch `boundary` (wrapping).
    pub(crate) fn is_before(epoch: u32, boundary: u32) -> bool {
        let distance = boundary.wrapping_sub(epoch) & EPOCH_MASK as u32;
        distance != 0 && distance < (EPOCH_MASK as u32) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_round_trips() {
        let word = Word {
            state: State::HalfOpen,
            forced: true,
            in_flight: 65_535,
            probe_successes: 7,
            epoch: (EPOCH_MASK as u32) - 1,
        };
        assert_eq!(Word::unpack(word.pack()), word);
        assert_eq!(Word::unpack(Word::INITIAL.pack()), Word::INITIAL);
        let wrapped = Word {
            epoch: EPOCH_MASK as u32,
            ..word
        }
        .next(State::Closed);
        assert_eq!(wrapped.epoch, 0);
        assert_eq!(wrapped.in_flight, 65_535, "running probes keep their slots");
        assert!(Word::is_before(EPOCH_MASK as u32, 0), "across the wrap");
        assert!(Word::is_before(3, 4));
        assert!(!Word::is_before(4, 4));
        assert!(!Word::is_before(5, 4));
    }

    #[test]
    fn only_a_closed_word_reads_as_closed_with_its_epoch() {
        for state in [State::Closed, State::Open, State::HalfOpen] {
            for forced in [false, true] {
                let word = Word {
                    state,
                    forced,
                    in_flight: 3,
                    probe_successes: 1,
                    epoch: (EPOCH_MASK as u32) - 2,
                };
                let expected = (state == State::Closed).then_some(word.epoch);
                assert_eq!(Word::closed_epoch(word.pack()), expected, "{word:?}");
            }
        }
    }
}
