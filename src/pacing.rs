//! Adaptive pacing, after the AWS SDKs' adaptive retry mode: the client sends as fast as it is
//! asked until the service throttles it (429), then lowers its own request rate and the number
//! of calls it keeps in flight, and recovers slowly while calls succeed. When the service
//! announces its limit in `X-Apig-RateLimit-*` headers, the rate never goes above it.
//!
//! Pure: every method takes the time, so tests drive it with a fake clock and check every wait.

use std::collections::VecDeque;

/// The lowest rate pacing ever drops to, in requests per second.
pub const MIN_RATE: f64 = 0.5;
/// Calls in flight before any throttling (the client's own limits apply below it).
pub const MAX_IN_FLIGHT: usize = 64;
/// Calls in flight pacing never goes below.
pub const MIN_IN_FLIGHT: usize = 2;
/// How often a call waiting for a free slot in flight looks again.
pub const IN_FLIGHT_POLL_MS: u32 = 25;
/// Throttles closer together than this count as one (a burst of 429s is one signal).
const DECREASE_EVERY_MS: u64 = 1000;
/// The rate grows at most once per this period while calls succeed.
const INCREASE_EVERY_MS: u64 = 1000;
/// Multiplicative decrease on a throttle, and growth per period of success.
const DECREASE_FACTOR: f64 = 0.5;
const INCREASE_FACTOR: f64 = 1.1;
const INCREASE_STEP: f64 = 0.5;
/// Without an announced limit, pacing switches itself off again once the rate has grown back
/// to this many times what it was when the service first throttled.
const RELEASE_FACTOR: f64 = 4.0;

/// What a finished call says about the service's limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// A 429.
    Throttled,
    /// Any other answer or failure.
    Passed,
}

#[derive(Debug, Clone)]
pub struct Pacer {
    /// Requests per second allowed; `None` while the service has never throttled.
    rate: Option<f64>,
    /// The limit the service announced, per second.
    ceiling: Option<f64>,
    /// The rate pacing switches off at (no announced limit).
    release_at: f64,
    /// When the next call may start.
    next_slot_ms: u64,
    in_flight: usize,
    max_in_flight: usize,
    /// Send times within the last second, to measure the rate actually sent.
    recent: VecDeque<u64>,
    last_decrease_ms: Option<u64>,
    last_increase_ms: u64,
    throttles: u64,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            rate: None,
            ceiling: None,
            release_at: f64::INFINITY,
            next_slot_ms: 0,
            in_flight: 0,
            max_in_flight: MAX_IN_FLIGHT,
            recent: VecDeque::new(),
            last_decrease_ms: None,
            last_increase_ms: 0,
            throttles: 0,
        }
    }
}

impl Pacer {
    /// Asks to start a call at `now_ms`. `Ok(wait)`: the call holds a slot and starts after
    /// `wait` ms (call [`Pacer::finish`] when it ends). `Err(wait)`: too many calls in flight;
    /// ask again after `wait` ms.
    pub fn admit(&mut self, now_ms: u64) -> Result<u32, u32> {
        if self.in_flight >= self.max_in_flight {
            return Err(IN_FLIGHT_POLL_MS);
        }
        self.in_flight += 1;
        let start = match self.rate {
            None => now_ms,
            Some(rate) => {
                let start = self.next_slot_ms.max(now_ms);
                self.next_slot_ms = start + (1000.0 / rate).ceil() as u64;
                start
            }
        };
        self.recent.push_back(start);
        while self.recent.front().is_some_and(|&t| t + 1000 <= start) {
            self.recent.pop_front();
        }
        Ok((start - now_ms).min(u32::MAX as u64) as u32)
    }

    /// A call admitted earlier ended at `now_ms`. `announced` is the service's limit in
    /// requests per second, when its headers gave one.
    pub fn finish(&mut self, now_ms: u64, outcome: Outcome, announced: Option<f64>) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some(limit) = announced.filter(|l| l.is_finite() && *l > 0.0) {
            self.ceiling = Some(limit.max(MIN_RATE));
            // An announced limit is paced from now on, so calls stop running into it.
            let capped = self.rate.map_or(limit, |r| r.min(limit)).max(MIN_RATE);
            if self.rate.is_none() {
                self.last_increase_ms = now_ms;
            }
            self.rate = Some(capped);
        }
        match outcome {
            Outcome::Throttled => self.throttled(now_ms),
            Outcome::Passed => self.passed(now_ms),
        }
    }

    /// A call admitted earlier was dropped before it ended (its caller gave up).
    pub fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    fn throttled(&mut self, now_ms: u64) {
        self.throttles += 1;
        if self.last_decrease_ms.is_some_and(|t| now_ms < t + DECREASE_EVERY_MS) {
            return;
        }
        self.last_decrease_ms = Some(now_ms);
        self.last_increase_ms = now_ms;
        let sent = self.recent.iter().filter(|&&t| t + 1000 > now_ms).count() as f64;
        let basis = match self.rate {
            Some(rate) => rate.min(sent.max(MIN_RATE)),
            None => sent.max(MIN_RATE),
        };
        if self.rate.is_none() {
            self.release_at = basis * RELEASE_FACTOR;
        }
        self.rate = Some((basis * DECREASE_FACTOR).max(MIN_RATE));
        // Half of what was in flight when the throttle came back (this call included).
        self.max_in_flight = (self.max_in_flight.min(self.in_flight + 1) / 2).max(MIN_IN_FLIGHT);
    }

    fn passed(&mut self, now_ms: u64) {
        let Some(rate) = self.rate else { return };
        if now_ms < self.last_increase_ms + INCREASE_EVERY_MS {
            return;
        }
        self.last_increase_ms = now_ms;
        self.max_in_flight = (self.max_in_flight + 1).min(MAX_IN_FLIGHT);
        let grown = rate * INCREASE_FACTOR + INCREASE_STEP;
        self.rate = match self.ceiling {
            Some(ceiling) => Some(grown.min(ceiling)),
            None if grown >= self.release_at => {
                self.max_in_flight = MAX_IN_FLIGHT;
                None
            }
            None => Some(grown),
        };
    }

    /// Requests per second allowed now; `None` when not pacing.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// 429s seen over the client's life.
    pub fn throttles(&self) -> u64 {
        self.throttles
    }
}

/// Reads the service's announced limit, in requests per second, from APIG's
/// `X-Apig-RateLimit-*` headers (`remain:9,limit:10,time:1 second`). The strictest wins.
pub fn announced_limit<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<f64> {
    headers
        .into_iter()
        .filter(|(name, _)| name.len() > 17 && name[..17].eq_ignore_ascii_case("x-apig-ratelimit-"))
        .filter_map(|(_, value)| per_second(value))
        .reduce(f64::min)
}

fn per_second(value: &str) -> Option<f64> {
    let mut limit = None;
    let mut window_s = 1.0;
    for part in value.split(',') {
        let (key, v) = part.split_once(':')?;
        match key.trim().to_ascii_lowercase().as_str() {
            "limit" => limit = v.trim().parse::<f64>().ok().filter(|l| l.is_finite() && *l > 0.0),
            "time" => {
                let mut words = v.split_whitespace();
                let count: f64 = words.next()?.parse().ok().filter(|c: &f64| c.is_finite() && *c > 0.0)?;
                let unit = match words.next().unwrap_or("second").trim_end_matches('s').to_ascii_lowercase().as_str() {
                    "second" => 1.0,
                    "minute" => 60.0,
                    "hour" => 3600.0,
                    "day" => 86_400.0,
                    _ => return None,
                };
                window_s = count * unit;
            }
            _ => {}
        }
    }
    limit.map(|l| l / window_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_pacing_until_throttled() {
        let mut p = Pacer::default();
        for _ in 0..50 {
            assert_eq!(p.admit(1000), Ok(0));
        }
        assert_eq!(p.rate(), None);
        assert_eq!(p.in_flight(), 50);
    }

    #[test]
    fn a_throttle_halves_the_measured_rate_and_spaces_calls() {
        let mut p = Pacer::default();
        // 20 calls within one second, then a 429.
        for i in 0..20 {
            assert_eq!(p.admit(10_000 + i * 50), Ok(0));
            p.finish(10_000 + i * 50 + 10, Outcome::Passed, None);
        }
        p.admit(11_000).unwrap();
        p.finish(11_010, Outcome::Throttled, None);
        assert_eq!(p.rate(), Some(10.0));
        // 10 per second: one every 100 ms.
        assert_eq!(p.admit(11_010), Ok(0));
        assert_eq!(p.admit(11_010), Ok(100));
        p.release();
        assert_eq!(p.admit(11_020), Ok(190));
        p.release();
        // A burst of 429s within a second is one signal.
        p.finish(11_030, Outcome::Throttled, None);
        p.finish(11_040, Outcome::Throttled, None);
        assert_eq!(p.rate(), Some(10.0));
        assert_eq!(p.throttles(), 3);
    }

    #[test]
    fn recovers_slowly_and_switches_off_again() {
        let mut p = Pacer::default();
        for i in 0..8 {
            p.admit(i * 100).unwrap();
            p.release();
        }
        p.admit(800).unwrap();
        p.finish(800, Outcome::Throttled, None);
        // Nine calls in the last second: paced at half of that.
        assert_eq!(p.rate(), Some(4.5));
        let mut rates = Vec::new();
        let mut now = 800;
        while p.rate().is_some() && rates.len() < 100 {
            now += 1000;
            p.admit(now).unwrap();
            p.finish(now, Outcome::Passed, None);
            rates.push(p.rate());
        }
        // Grows by 10% + 0.5 per second until 4x the rate that was throttled (36).
        assert_eq!(rates[0], Some(4.5 * 1.1 + 0.5));
        assert!(rates.len() > 10 && rates.len() < 30, "{}", rates.len());
        assert_eq!(rates.last(), Some(&None));
        assert_eq!(p.max_in_flight(), MAX_IN_FLIGHT);
    }

    #[test]
    fn concurrency_drops_on_throttle_and_callers_wait_for_a_slot() {
        let mut p = Pacer::default();
        for _ in 0..16 {
            p.admit(0).unwrap();
        }
        p.finish(5, Outcome::Throttled, None);
        assert_eq!(p.max_in_flight(), 8);
        // 15 still in flight: a new call waits.
        assert_eq!(p.admit(5), Err(IN_FLIGHT_POLL_MS));
        for _ in 0..8 {
            p.release();
        }
        assert!(p.admit(6).is_ok());
    }

    #[test]
    fn an_announced_limit_is_paced_and_never_exceeded() {
        let mut p = Pacer::default();
        p.admit(0).unwrap();
        p.finish(0, Outcome::Passed, Some(20.0));
        assert_eq!(p.rate(), Some(20.0));
        assert_eq!(p.admit(0), Ok(0));
        assert_eq!(p.admit(0), Ok(50));
        for s in 1..100 {
            p.admit(s * 1000).unwrap();
            p.finish(s * 1000, Outcome::Passed, Some(20.0));
        }
        assert_eq!(p.rate(), Some(20.0));
    }

    #[test]
    fn reads_apig_rate_limit_headers() {
        let headers = [
            ("X-Apig-RateLimit-api", "remain:9,limit:10,time:1 minute"),
            ("x-apig-ratelimit-user", "remain:19,limit:20,time:1 second"),
            ("X-Request-Id", "r"),
        ];
        assert_eq!(announced_limit(headers.iter().map(|(n, v)| (*n, *v))), Some(10.0 / 60.0));
        assert_eq!(announced_limit([("x-apig-ratelimit-api", "limit:40,time:2 seconds")]), Some(20.0));
        assert_eq!(announced_limit([("x-apig-ratelimit-api", "garbage")]), None);
        assert_eq!(announced_limit([("x-apig-ratelimit-api", "limit:0,time:1 second")]), None);
        assert_eq!(announced_limit([("x-other", "limit:5")]), None);
    }
}
