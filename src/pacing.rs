//! Adaptive pacing, after the AWS SDKs' adaptive retry mode: the client sends as fast as it is
//! asked until the service throttles it (429), then lowers its own request rate to 70% of what
//! it was sending and halves the calls it keeps in flight. While calls pass, the rate grows back
//! along a cubic curve (as TCP CUBIC and the AWS SDKs do): slowly near the rate that was
//! throttled, faster once past it, and pacing switches off at twice that rate. When the
//! service announces its limit in `X-Apig-RateLimit-*` headers, the rate never goes above it.
//!
//! Pure: every method takes the time, so tests drive it with a fake clock and check every wait.

/// The lowest rate pacing ever drops to, in requests per second.
pub const MIN_RATE: f64 = 0.5;
/// Calls in flight before any throttling (the client's own limits apply below it).
pub const MAX_IN_FLIGHT: usize = 64;
/// Calls in flight pacing never goes below.
pub const MIN_IN_FLIGHT: usize = 2;
/// How often a call waiting for a free slot in flight looks again.
pub const IN_FLIGHT_POLL_MS: u32 = 25;
/// Among at least this many answers in the last second, a share of 429s up to
/// [`NOISE_SHARE`] is noise (the odd 429 of a busy gateway), not a limit being hit.
const NOISE_MIN_ANSWERS: usize = 20;
const NOISE_SHARE: f64 = 0.05;
/// Below 200 answers a second, the latest 200 answers are judged instead, as far back as
/// [`NOISE_LOOKBACK_MS`]: a second of 10 or 30 answers is too few to tell a 2% share of stray
/// 429s from a 5% one, so every stray 429 at a low rate cut the rate again, and a client slowed
/// once never got back up (2% of stray 429s held a 10,000-server rollout at 9 to 40 calls a
/// second, 2 to 7 in flight, for most of its run). At 100 calls a second with 2% stray 429s,
/// a window of 100 answers still cut the rate 5 times a minute; 200, twice; a 10% share (a
/// limit) is still cut at once.
const NOISE_WINDOW_ANSWERS: usize = 200;
const NOISE_LOOKBACK_MS: u64 = 10_000;
/// Throttles closer together than this count as one (a burst of 429s is one signal).
const DECREASE_EVERY_MS: u64 = 1000;
/// One more call may be in flight per this period while calls pass.
const INCREASE_EVERY_MS: u64 = 1000;
/// The rate kept on a throttle (AWS's beta).
const DECREASE_FACTOR: f64 = 0.7;
/// How fast the cubic curve grows (AWS's and CUBIC's C), in requests per second per second³.
const CUBIC_SCALE: f64 = 0.4;
/// Without an announced limit, pacing switches itself off once the rate has grown back to
/// this many times the rate that was throttled.
const RELEASE_FACTOR: f64 = 2.0;

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
    /// The rate the last throttle came at (CUBIC's W_max).
    throttled_rate: f64,
    /// When the next call may start.
    next_slot_ms: u64,
    in_flight: usize,
    max_in_flight: usize,
    /// Send times within the last second, to measure the rate actually sent. Plain vectors
    /// trimmed at the front (a second of calls or a few hundred answers): no `VecDeque` in the wasm.
    recent: Vec<u64>,
    /// Answers within the last second: when, shifted left one bit, the low bit set for a 429
    /// (`u64`s like `recent`).
    answers: Vec<u64>,
    last_decrease_ms: Option<u64>,
    last_increase_ms: u64,
    throttles: u64,
}

/// The cube root of a positive finite `x` by Newton's method (within an ulp or two of
/// `f64::cbrt`, which would bring libm's `cbrt` and `fma` into the wasm); `x` itself
/// otherwise.
fn cube_root(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return x;
    }
    if x < f64::MIN_POSITIVE {
        // Subnormal: scaled by 2^300 (exact), whose cube root is 2^100.
        return cube_root(x * 2f64.powi(300)) / 2f64.powi(100);
    }
    // A first guess within a few percent: the exponent divided by three, in the bits.
    let mut y = f64::from_bits(x.to_bits() / 3 + 0x2A9F_7893_782D_A1CE);
    for _ in 0..6 {
        y = (2.0 * y + x / (y * y)) / 3.0;
    }
    y
}

/// The cubic curve through `0.7 * w_max` at the throttle and `w_max` after `K` seconds.
fn cubic_rate(w_max: f64, seconds_since_throttle: f64) -> f64 {
    let k = cube_root(w_max * (1.0 - DECREASE_FACTOR) / CUBIC_SCALE);
    CUBIC_SCALE * (seconds_since_throttle - k).powi(3) + w_max
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            rate: None,
            ceiling: None,
            throttled_rate: 0.0,
            next_slot_ms: 0,
            in_flight: 0,
            max_in_flight: MAX_IN_FLIGHT,
            recent: Vec::new(),
            answers: Vec::new(),
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
        self.recent.push(start);
        let expired = self.recent.iter().take_while(|&&t| t + 1000 <= start).count();
        self.recent.drain(..expired);
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
        self.answers.push((now_ms << 1) | (outcome == Outcome::Throttled) as u64);
        // The last second's answers, or the latest NOISE_WINDOW_ANSWERS when that is fewer.
        let mut expired = 0;
        while self
            .answers
            .get(expired)
            .map(|&answer| answer >> 1)
            .is_some_and(|t| t + NOISE_LOOKBACK_MS <= now_ms || (t + 1000 <= now_ms && self.answers.len() - expired > NOISE_WINDOW_ANSWERS))
        {
            expired += 1;
        }
        self.answers.drain(..expired);
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
        let answered = self.answers.len();
        let throttled = self.answers.iter().filter(|&&answer| answer & 1 == 1).count();
        if answered >= NOISE_MIN_ANSWERS && (throttled as f64) <= answered as f64 * NOISE_SHARE {
            return;
        }
        self.last_decrease_ms = Some(now_ms);
        self.last_increase_ms = now_ms;
        // What was really sent in the last second; the allowed rate when that was lower.
        let sent = self.recent.iter().filter(|&&t| t + 1000 > now_ms).count() as f64;
        let basis = match self.rate {
            Some(rate) => rate.min(sent),
            None => sent,
        }
        .max(MIN_RATE);
        self.throttled_rate = basis;
        self.rate = Some((basis * DECREASE_FACTOR).max(MIN_RATE));
        // Half of what was in flight when the throttle came back (this call included).
        self.max_in_flight = (self.max_in_flight.min(self.in_flight + 1) / 2).max(MIN_IN_FLIGHT);
    }

    fn passed(&mut self, now_ms: u64) {
        if self.rate.is_none() {
            return;
        }
        if now_ms >= self.last_increase_ms + INCREASE_EVERY_MS {
            self.last_increase_ms = now_ms;
            self.max_in_flight = (self.max_in_flight + 1).min(MAX_IN_FLIGHT);
        }
        let Some(since) = self.last_decrease_ms.map(|t| now_ms.saturating_sub(t) as f64 / 1000.0) else {
            // Paced only because the service announced its limit: stay at it.
            return;
        };
        let grown = cubic_rate(self.throttled_rate, since).max(MIN_RATE);
        self.rate = match self.ceiling {
            Some(ceiling) => Some(grown.min(ceiling)),
            None if grown >= self.throttled_rate * RELEASE_FACTOR => {
                self.max_in_flight = MAX_IN_FLIGHT;
                self.last_decrease_ms = None;
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

/// A plain decimal number (`10`, `0.5`, `+2.`): what APIG writes in its limits. Read by hand,
/// as the whole and the fraction's digits, so the wasm carries no float parser; up to 15
/// digits each side are kept, which is far finer than pacing needs.
pub(crate) fn decimal(text: &str) -> Option<f64> {
    let text = text.strip_prefix('+').unwrap_or(text);
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !digits(whole) || !digits(fraction) {
        return None;
    }
    let whole = whole.bytes().fold(0.0, |n, b| n * 10.0 + f64::from(b - b'0'));
    let kept = &fraction[..fraction.len().min(15)];
    let fraction = kept.bytes().fold(0.0, |n, b| n * 10.0 + f64::from(b - b'0')) / 10f64.powi(kept.len() as i32);
    Some(whole + fraction).filter(|n| n.is_finite())
}

fn per_second(value: &str) -> Option<f64> {
    let mut limit = None;
    let mut window_s = 1.0;
    for part in value.split(',') {
        let (key, v) = part.split_once(':')?;
        match key.trim().to_ascii_lowercase().as_str() {
            "limit" => limit = decimal(v.trim()).filter(|l| *l > 0.0),
            "time" => {
                let mut words = v.split_whitespace();
                let count: f64 = words.next().and_then(decimal).filter(|c| *c > 0.0)?;
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
    fn a_throttle_keeps_70_percent_of_the_measured_rate_and_spaces_calls() {
        let mut p = Pacer::default();
        // 15 calls within one second, then a 429.
        for i in 0..15 {
            assert_eq!(p.admit(10_300 + i * 50), Ok(0));
            p.finish(10_300 + i * 50 + 10, Outcome::Passed, None);
        }
        p.admit(11_000).unwrap();
        p.finish(11_010, Outcome::Throttled, None);
        // 16 sent in the last second: 11.2 a second, one every 90 ms.
        assert_eq!(p.rate(), Some(16.0 * 0.7));
        assert_eq!(p.admit(11_010), Ok(0));
        assert_eq!(p.admit(11_010), Ok(90));
        p.release();
        assert_eq!(p.admit(11_020), Ok(170));
        p.release();
        // A burst of 429s within a second is one signal.
        p.finish(11_030, Outcome::Throttled, None);
        p.finish(11_040, Outcome::Throttled, None);
        assert_eq!(p.rate(), Some(16.0 * 0.7));
        assert_eq!(p.throttles(), 3);
    }

    #[test]
    fn recovers_along_a_cubic_and_switches_off_again() {
        let mut p = Pacer::default();
        for i in 0..9 {
            p.admit(i * 100).unwrap();
            p.release();
        }
        p.admit(950).unwrap();
        p.finish(950, Outcome::Throttled, None);
        // Ten calls in the last second.
        assert_eq!(p.rate(), Some(7.0));
        let mut rates = Vec::new();
        let mut now = 950;
        while p.rate().is_some() && rates.len() < 100 {
            now += 500;
            p.admit(now).unwrap();
            p.finish(now, Outcome::Passed, None);
            rates.push(p.rate());
        }
        // Back at 10 after K = cbrt(10 * 0.3 / 0.4) = 1.96 s, flat around it, off at 20.
        let at = |seconds: f64| cubic_rate(10.0, seconds);
        assert!((at(0.0) - 7.0).abs() < 1e-9);
        assert!((at((7.5f64).cbrt()) - 10.0).abs() < 1e-9);
        assert_eq!(rates[0], Some(at(0.5)));
        assert_eq!(rates[3], Some(at(2.0)));
        assert!(rates.windows(2).all(|w| w[1].is_none() || w[1] > w[0]), "{rates:?}");
        // 0.4 (t - 1.96)^3 = 10: t = 4.88 s, the tenth half-second.
        assert_eq!(rates.len(), 10);
        assert_eq!(rates.last(), Some(&None));
        assert_eq!(p.max_in_flight(), MAX_IN_FLIGHT);
    }

    #[test]
    fn an_odd_429_among_many_answers_is_noise() {
        let mut p = Pacer::default();
        for i in 0..40 {
            p.admit(i * 25).unwrap();
            p.finish(i * 25 + 5, Outcome::Passed, None);
        }
        p.admit(1000).unwrap();
        p.finish(1001, Outcome::Throttled, None);
        assert_eq!((p.rate(), p.throttles()), (None, 1));
        // A second and third within the same second pass 5%: that is a limit.
        p.admit(1002).unwrap();
        p.finish(1003, Outcome::Throttled, None);
        assert_eq!(p.rate(), None);
        p.admit(1004).unwrap();
        p.finish(1005, Outcome::Throttled, None);
        assert!(p.rate().is_some());
    }

    #[test]
    fn stray_429s_at_a_lower_rate_are_judged_over_the_latest_200_answers() {
        let mut p = Pacer::default();
        // 10 answers a second for 3 s: never 20 within one second.
        for i in 0..30 {
            p.admit(i * 100).unwrap();
            p.finish(i * 100 + 5, Outcome::Passed, None);
        }
        p.admit(3000).unwrap();
        p.finish(3001, Outcome::Throttled, None);
        assert_eq!((p.rate(), p.throttles()), (None, 1), "1 of the latest 31 answers");
        // A second one: 2 of 32, over 5%, a limit.
        p.admit(3100).unwrap();
        p.finish(3101, Outcome::Throttled, None);
        assert!(p.rate().is_some());

        // 30 answers a second for 4 s: two 429s within one second are 2 of the latest 122.
        let mut p = Pacer::default();
        for i in 0..120 {
            p.admit(i * 33).unwrap();
            p.finish(i * 33 + 5, Outcome::Passed, None);
        }
        for at in [4000, 4010] {
            p.admit(at).unwrap();
            p.finish(at + 1, Outcome::Throttled, None);
        }
        assert_eq!((p.rate(), p.throttles()), (None, 2));

        // 100 answers a second for 3 s, then six 429s within 50 ms: 6 of the last second's 106
        // answers would be a limit; of the latest 206 they are noise (2% stray 429s met 6 in
        // 100 answers often enough to slow the client 5 times a minute).
        let mut p = Pacer::default();
        for i in 0..300 {
            p.admit(i * 10).unwrap();
            p.finish(i * 10 + 5, Outcome::Passed, None);
        }
        for at in (3000..3060).step_by(10) {
            p.admit(at).unwrap();
            p.finish(at + 1, Outcome::Throttled, None);
        }
        assert_eq!((p.rate(), p.throttles()), (None, 6));

        // Answers older than the lookback do not count: after a pause, a 429 is judged alone.
        let mut q = Pacer::default();
        for i in 0..30 {
            q.admit(i * 100).unwrap();
            q.finish(i * 100 + 5, Outcome::Passed, None);
        }
        q.admit(20_000).unwrap();
        q.finish(20_001, Outcome::Throttled, None);
        assert!(q.rate().is_some());
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
    fn cube_root_matches_the_library() {
        for x in [5e-324, 1e-310, 1e-300, 1e-9, 0.75, 1.0, 7.5, 8.0, 27.0, 1234.5, 1e12, 1e300, f64::MAX] {
            let (ours, std) = (cube_root(x), x.cbrt());
            assert!((ours - std).abs() <= std * 4.0 * f64::EPSILON, "{x}: {ours} vs {std}");
        }
        assert_eq!(cube_root(0.0), 0.0);
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
        assert_eq!(announced_limit([("x-apig-ratelimit-api", "limit:2.5,time:0.5 second")]), Some(5.0));
        assert_eq!(announced_limit([("x-apig-ratelimit-api", "limit:+7.,time:1 second")]), Some(7.0));
        for bad in ["", ".", "-1", "1e3", "inf", "NaN", "1.2.3", "0x10"] {
            assert_eq!(announced_limit([("x-apig-ratelimit-api", format!("limit:10,time:{bad} second").as_str())]), None, "{bad}");
        }
        assert_eq!(announced_limit([("x-apig-ratelimit-api", "limit:0,time:1 second")]), None);
        assert_eq!(announced_limit([("x-other", "limit:5")]), None);
    }
}
