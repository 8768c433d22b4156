//! When to poll a job next. A wave ends when its last job is seen done, so every poll interval
//! a job ends short of is time the whole rollout waits: at the simulator's 400 ms jobs and a
//! 100 ms interval, about 40 ms a wave (8%). The jobs of one run take about as long as each
//! other, so the run learns when they end: each finished job tells how long it was seen still
//! running (the last poll that found it unfinished). From that point on a later job is polled
//! four times as often, for at most two intervals, then at the interval again (a straggler
//! does not keep it fast).
//!
//! Pure: it takes the time since the job was accepted, and returns the wait before the next
//! poll, so tests check every wait.

/// How many recent jobs the learned end is the median of.
const HISTORY: usize = 9;
/// Polls near the learned end come this many times as often as the interval.
const SPEEDUP: u32 = 4;
/// Fast polls last at most this many intervals past the learned end.
const FAST_INTERVALS: u64 = 2;

#[derive(Debug, Clone)]
pub(crate) struct PollSchedule {
    interval_ms: u32,
    /// For recent finished jobs: how long after being accepted each was last seen running.
    seen_running_ms: Vec<u64>,
}

impl PollSchedule {
    pub(crate) fn new(interval_ms: u32) -> Self {
        PollSchedule { interval_ms: interval_ms.max(1), seen_running_ms: Vec::new() }
    }

    /// The wait before the next poll of a job accepted `elapsed_ms` ago.
    pub(crate) fn next_delay_ms(&self, elapsed_ms: u64) -> u32 {
        let interval = self.interval_ms as u64;
        let Some(end) = self.learned_end_ms() else { return self.interval_ms };
        let fast = (interval / SPEEDUP as u64).max(1);
        let delay = if elapsed_ms < end {
            // Regular polls, and one exactly at the learned end.
            interval.min(end - elapsed_ms)
        } else if elapsed_ms < end + FAST_INTERVALS * interval {
            fast
        } else {
            interval
        };
        delay.clamp(1, interval) as u32
    }

    /// A job finished: `last_running_ms` after it was accepted, a poll still found it running
    /// (0 when the first poll found it done).
    pub(crate) fn job_done(&mut self, last_running_ms: u64) {
        if self.seen_running_ms.len() == HISTORY {
            self.seen_running_ms.remove(0);
        }
        self.seen_running_ms.push(last_running_ms);
    }

    /// The median of how long recent jobs were seen running; `None` before any job finished.
    fn learned_end_ms(&self) -> Option<u64> {
        let mut seen: Vec<u64> = self.seen_running_ms.to_vec();
        crate::order::sort_by(&mut seen, u64::cmp);
        seen.get(seen.len() / 2).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::PollSchedule;

    /// The times of the polls of a job accepted at 0 that is seen done from `end_ms` on, and
    /// how long it was last seen running.
    fn polls_until(schedule: &PollSchedule, end_ms: u64) -> (Vec<u64>, u64) {
        let (mut at, mut polls, mut last_running) = (0u64, Vec::new(), 0);
        loop {
            at += schedule.next_delay_ms(at) as u64;
            polls.push(at);
            if at >= end_ms {
                return (polls, last_running);
            }
            last_running = at;
        }
    }

    #[test]
    fn the_first_job_is_polled_at_the_interval() {
        let schedule = PollSchedule::new(100);
        assert_eq!(polls_until(&schedule, 516), (vec![100, 200, 300, 400, 500, 600], 500));
    }

    #[test]
    fn later_jobs_are_polled_fast_from_where_earlier_ones_were_last_seen_running() {
        let mut schedule = PollSchedule::new(100);
        let (_, last_running) = polls_until(&schedule, 516);
        schedule.job_done(last_running);
        // Regular up to 500, then every 25 ms: seen done at 525, not 600.
        assert_eq!(polls_until(&schedule, 516), (vec![100, 200, 300, 400, 500, 525], 500));
        // The learned point moves with the jobs: after a few that end at 530 the fast polls
        // start at 525.
        for _ in 0..5 {
            let (_, last_running) = polls_until(&schedule, 530);
            schedule.job_done(last_running);
        }
        assert_eq!(polls_until(&schedule, 540), (vec![100, 200, 300, 400, 500, 525, 550], 525));
    }

    #[test]
    fn fast_polls_last_two_intervals_then_the_interval_again() {
        let mut schedule = PollSchedule::new(1000);
        schedule.job_done(3000);
        let (polls, _) = polls_until(&schedule, 9000);
        assert_eq!(polls, [1000, 2000, 3000, 3250, 3500, 3750, 4000, 4250, 4500, 4750, 5000, 6000, 7000, 8000, 9000]);
    }

    #[test]
    fn the_learned_end_is_the_median_of_the_last_nine_jobs() {
        let mut schedule = PollSchedule::new(100);
        // One quick job (all its servers failed early) does not make every later job fast.
        for last_running in [500, 500, 100] {
            schedule.job_done(last_running);
        }
        assert_eq!(schedule.next_delay_ms(100), 100);
        assert_eq!(schedule.next_delay_ms(450), 50);
        // Nine later jobs push the old ones out.
        for _ in 0..9 {
            schedule.job_done(200);
        }
        assert_eq!(schedule.next_delay_ms(200), 25);
        // A job found done by its first poll: the next is polled fast from the start.
        for _ in 0..9 {
            schedule.job_done(0);
        }
        assert_eq!(schedule.next_delay_ms(0), 25);
    }
}
