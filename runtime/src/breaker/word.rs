//! The breaker's admission state packed in one `u64`, so the closed-state fast path is a
//! single atomic load.
//!
//! Layout, low bits first: state (2 bits), forced (1), 32 bits unused, epoch (29). Every
//! change of state starts a new epoch; a call's result only counts if the epoch it was
//! admitted in is still current. The word is written only under the breaker's lock (see
//! the opening of `mod.rs`), so every writer sees the word it replaces: no compare-and-swap
//! loop.

use super::State;

const STATE_BITS: u32 = 2;
const FORCED_SHIFT: u32 = STATE_BITS;
/// The epoch stays where it was when the word also held probe counts (they moved under the
/// lock): 29 bits, so `is_before` keeps its wrapping arithmetic.
const EPOCH_SHIFT: u32 = FORCED_SHIFT + 1 + 32;
const EPOCH_MASK: u64 = (1 << (64 - EPOCH_SHIFT)) - 1;

/// The most probes or successes a breaker counts; the grammar keeps options below it.
pub(crate) const MAX_FIELD: u32 = 0xFFFF;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Word {
    pub(crate) state: State,
    /// Held open by `force_open()`: no probes until `force_closed()` or `reset()`.
    pub(crate) forced: bool,
    pub(crate) epoch: u32,
}

impl Word {
    pub(crate) const INITIAL: Word = Word {
        state: State::Closed,
        forced: false,
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
            epoch: ((bits >> EPOCH_SHIFT) & EPOCH_MASK) as u32,
        }
    }

    /// The epoch of a closed word, read without decoding the rest: the check every call of
    /// a healthy breaker makes.
    #[inline(always)]
    pub(crate) fn closed_epoch(bits: u64) -> Option<u32> {
        (bits & 0b11 == 0).then_some(((bits >> EPOCH_SHIFT) & EPOCH_MASK) as u32)
    }

    /// The first word of a new epoch in `state`.
    pub(crate) fn next(self, state: State) -> Word {
        Word {
            state,
            forced: false,
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
                    epoch: (EPOCH_MASK as u32) - 2,
                };
                let expected = (state == State::Closed).then_some(word.epoch);
                assert_eq!(Word::closed_epoch(word.pack()), expected, "{word:?}");
            }
        }
    }
}
