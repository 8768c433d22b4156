//! Simulated user sessions on one server, as a pure function of the simulated time.
//!
//! A server's count follows a *segment*: the count it had at `since`, and whether it is
//! draining (maintenance mode: no new sessions, one ends every `step_ms`) or normal (it moves
//! one session per `step_ms` toward a level that wobbles by one every few steps). Whatever
//! changes the rules (maintenance, a new job, a `/_sim/servers` edit) first *settles* the
//! segment at the current time, so the history needs no replay and every read is O(1).

use super::prng::hash2;
use std::ops::Range;

/// How many session steps a wobble period of the normal level lasts.
const WOBBLE_PERIOD_STEPS: u64 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub since_ms: u64,
    pub start: u32,
    pub draining: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sessions {
    /// The level the count tends to when not draining (0 for idle or stopped servers).
    pub target: u32,
    /// Whether the level wobbles by one around `target` over time.
    pub wobble: bool,
    pub seed: u64,
    pub segment: Segment,
}

impl Sessions {
    pub fn new(target: u32, start: u32, wobble: bool, seed: u64, now_ms: u64, draining: bool) -> Self {
        Sessions { target, wobble, seed, segment: Segment { since_ms: now_ms, start, draining } }
    }

    fn level(&self, now_ms: u64, step_ms: u64) -> u32 {
        if self.target == 0 || !self.wobble {
            return self.target;
        }
        let period = now_ms / (step_ms.max(1) * WOBBLE_PERIOD_STEPS);
        match hash2(self.seed, period) % 3 {
            0 => self.target.saturating_sub(1),
            1 => self.target,
            _ => self.target + 1,
        }
    }

    /// The count at `now_ms`. `reboot` is the window of a reboot scheduled by the server's
    /// last job: sessions are 0 during it and start again from 0 after it.
    pub fn count(&self, now_ms: u64, step_ms: u64, reboot: Option<Range<u64>>) -> u32 {
        let step = step_ms.max(1);
        let mut segment = self.segment;
        if let Some(window) = reboot {
            if now_ms >= window.start {
                if now_ms < window.end {
                    return 0;
                }
                if segment.since_ms < window.end {
                    segment = Segment { since_ms: window.end, start: 0, draining: segment.draining };
                }
            }
        }
        let steps = now_ms.saturating_sub(segment.since_ms) / step;
        let steps = u32::try_from(steps).unwrap_or(u32::MAX);
        if segment.draining {
            return segment.start.saturating_sub(steps);
        }
        let level = self.level(now_ms, step);
        if segment.start < level {
            level.min(segment.start.saturating_add(steps))
        } else {
            level.max(segment.start.saturating_sub(steps))
        }
    }

    /// Starts a new segment at `now_ms` from the current count.
    pub fn settle(&mut self, now_ms: u64, step_ms: u64, reboot: Option<Range<u64>>, draining: bool) {
        let start = self.count(now_ms, step_ms, reboot);
        self.segment = Segment { since_ms: now_ms, start, draining };
    }

    /// Sets the count now and makes it the new level.
    pub fn set(&mut self, count: u32, now_ms: u64) {
        self.target = count;
        self.wobble = false;
        self.segment = Segment { since_ms: now_ms, start: count, draining: self.segment.draining };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: u64 = 20_000;

    #[test]
    fn draining_ends_one_session_per_step() {
        let mut s = Sessions::new(5, 3, false, 1, 1_000, false);
        s.settle(1_000, STEP, None, true);
        assert_eq!(s.count(1_000, STEP, None), 3);
        assert_eq!(s.count(1_000 + STEP - 1, STEP, None), 3);
        assert_eq!(s.count(1_000 + STEP, STEP, None), 2);
        assert_eq!(s.count(1_000 + 3 * STEP, STEP, None), 0);
        assert_eq!(s.count(1_000 + 30 * STEP, STEP, None), 0);
    }

    #[test]
    fn normal_servers_move_toward_their_level() {
        let s = Sessions::new(4, 0, false, 1, 0, false);
        assert_eq!(s.count(0, STEP, None), 0);
        assert_eq!(s.count(2 * STEP, STEP, None), 2);
        assert_eq!(s.count(100 * STEP, STEP, None), 4);
        let wobbly = Sessions::new(4, 4, true, 9, 0, false);
        for k in 0..50 {
            let c = wobbly.count(k * STEP, STEP, None);
            assert!((3..=5).contains(&c), "{c}");
        }
    }

    #[test]
    fn a_reboot_empties_the_server() {
        let s = Sessions::new(4, 4, false, 1, 0, false);
        let window = 10 * STEP..12 * STEP;
        assert_eq!(s.count(9 * STEP, STEP, Some(window.clone())), 4);
        assert_eq!(s.count(11 * STEP, STEP, Some(window.clone())), 0);
        assert_eq!(s.count(12 * STEP, STEP, Some(window.clone())), 0);
        assert_eq!(s.count(13 * STEP, STEP, Some(window.clone())), 1);
        let mut drained = s.clone();
        drained.settle(0, STEP, None, true);
        assert_eq!(drained.count(20 * STEP, STEP, Some(window)), 0, "no regrowth while in maintenance");
    }
}
