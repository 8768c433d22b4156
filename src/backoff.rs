//! The one backoff of the crate: capped exponential backoff with full jitter, an injected
//! random source, and the reading of `Retry-After`. The client's read retries and the rollout
//! engine's resends both wait with it, and [`classify_read`] says which failures of a call
//! that changes nothing when repeated (a read, a maintenance mark) may pass if sent again.

use crate::error::Error;
use serde::Serialize;

/// A source of uniform random numbers in [0, 1): injected so tests are exact.
pub trait Rng {
    fn next_unit(&mut self) -> f64;
}

/// SplitMix64: small, fast, good enough for jitter (not for anything secret).
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl Rng for SplitMix64 {
    fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Exponential backoff with full jitter and a cap: attempt `n` (0-based) waits a uniform
/// random time in `[0, min(cap, base * 2^n))`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Backoff {
    pub base_ms: u32,
    pub cap_ms: u32,
    /// Resends of one batch after the first attempt.
    pub max_resends: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base_ms: 500, cap_ms: 20_000, max_resends: 5 }
    }
}

impl Backoff {
    pub fn delay_ms(&self, attempt: u32, rng: &mut dyn Rng) -> u32 {
        let ceiling = (self.base_ms as f64 * 2f64.powi(attempt.min(30) as i32)).min(self.cap_ms as f64);
        (rng.next_unit() * ceiling) as u32
    }

    /// The wait before resending: at least what `Retry-After` asked for, when it did.
    pub fn delay_with_hint_ms(&self, attempt: u32, retry_after_ms: Option<u32>, rng: &mut dyn Rng) -> u32 {
        let jittered = self.delay_ms(attempt, rng);
        match retry_after_ms {
            Some(hint) => hint.max(jittered),
            None => jittered,
        }
    }
}

/// The longest `Retry-After` honoured: a server asking for more is not waited on longer.
pub const MAX_RETRY_AFTER_MS: u32 = 600_000;

/// `Retry-After` in whole seconds (the HTTP-date form is not used by these services).
pub fn parse_retry_after_ms(value: &str) -> Option<u32> {
    let secs: u32 = value.trim().parse().ok()?;
    Some(secs.saturating_mul(1000).min(MAX_RETRY_AFTER_MS))
}

/// What a failed call that may be repeated safely (a GET, or a maintenance-mode change) means
/// for sending it again. Calls that reboot servers are classified by `rollout::retry` instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadRetry {
    /// A 429: may pass later; back off longer than after a blip.
    Throttled,
    /// A 5xx, a timeout or a network failure: may pass if sent again soon.
    Transient,
    /// Will fail the same way again (a 4xx, an answer this client refuses to read, a refused
    /// input, or the caller's abort): give up.
    Final,
}

/// Classifies a failed read (or other idempotent call). An answer the client will not use
/// (`response.*`: too large, unreadable, a redirect) is final even with a 5xx or 429 status:
/// fetching it again would only repeat it.
pub fn classify_read(error: &Error) -> ReadRetry {
    match error {
        Error::Api(api) if api.error_code.starts_with("response.") => ReadRetry::Final,
        Error::Api(api) if api.status == 429 => ReadRetry::Throttled,
        Error::Api(api) if api.status >= 500 => ReadRetry::Transient,
        Error::Api(_) => ReadRetry::Final,
        Error::Timeout { .. } | Error::Network { .. } => ReadRetry::Transient,
        Error::Validation(_) | Error::Aborted => ReadRetry::Final,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn api(status: u16, body: &str) -> Error {
        Error::Api(Box::new(ApiError::from_response(status, body, None)))
    }

    #[test]
    fn read_retry_for_every_status_and_failure_kind() {
        use ReadRetry::*;
        let json = r#"{"error_code":"X","error_msg":"y"}"#;
        let mut too_large = ApiError::from_response(502, json, None);
        too_large.error_code = "response.too_large".into();
        let cases = [
            (api(429, json), Throttled),
            (api(429, "<html>slow down</html>"), Throttled),
            (api(500, json), Transient),
            (api(502, "<html>bad gateway</html>"), Transient),
            (api(503, json), Transient),
            (api(504, ""), Transient),
            (api(599, json), Transient),
            (api(400, json), Final),
            (api(401, json), Final),
            (api(403, json), Final),
            (api(404, json), Final),
            (api(409, json), Final),
            (api(418, json), Final),
            (api(302, ""), Final),
            (api(200, "not json"), Final),
            (Error::Api(Box::new(too_large)), Final),
            (Error::Timeout { timeout_ms: 1 }, Transient),
            (Error::Network { message: "refused".into(), sent: false }, Transient),
            (Error::Network { message: "reset".into(), sent: true }, Transient),
            (Error::Aborted, Final),
            (Error::validation("", "x", "y"), Final),
        ];
        for (error, want) in cases {
            assert_eq!(classify_read(&error), want, "{error:?}");
        }
    }

    struct Fixed(f64);
    impl Rng for Fixed {
        fn next_unit(&mut self) -> f64 {
            self.0
        }
    }

    #[test]
    fn backoff_is_exponential_jittered_and_capped() {
        let b = Backoff { base_ms: 100, cap_ms: 1000, max_resends: 5 };
        let almost_one = &mut Fixed(0.999_999);
        let ceilings: Vec<u32> = (0..6).map(|n| b.delay_ms(n, almost_one)).collect();
        assert_eq!(ceilings, [99, 199, 399, 799, 999, 999]);
        assert_eq!(b.delay_ms(3, &mut Fixed(0.5)), 400);
        assert_eq!(b.delay_ms(3, &mut Fixed(0.0)), 0);
        assert_eq!(b.delay_with_hint_ms(0, Some(2000), &mut Fixed(0.5)), 2000);
        assert_eq!(b.delay_with_hint_ms(4, Some(10), &mut Fixed(0.5)), 500);
    }

    #[test]
    fn splitmix_is_deterministic_and_in_range() {
        let (mut a, mut b) = (SplitMix64(7), SplitMix64(7));
        for _ in 0..1000 {
            let x = a.next_unit();
            assert!((0.0..1.0).contains(&x));
            assert_eq!(x, b.next_unit());
        }
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after_ms("3"), Some(3000));
        assert_eq!(parse_retry_after_ms(" 0 "), Some(0));
        assert_eq!(parse_retry_after_ms("99999999"), Some(MAX_RETRY_AFTER_MS));
        assert_eq!(parse_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
