//! `--rate-limit N`: a token bucket per credential (the token, or the AK of a signed call)
//! that refills at N requests per second and holds at most N. Past it, the call is answered
//! 429 `APIG.0308` with `Retry-After`. Only authenticated calls reach it, so the buckets are
//! at most one per accepted credential. Time is passed in (real milliseconds), so the
//! arithmetic is tested exactly.

use std::collections::HashMap;

/// What one call is told about the budget of its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests per second (and the bucket's size).
    pub limit: u32,
    /// Whole requests left right after this call.
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_s: u64,
    /// `Some(seconds to wait)` when this call is refused.
    pub retry_after_s: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: u64,
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    /// Requests per second per credential; 0 is off.
    per_second: u32,
    buckets: HashMap<String, Bucket>,
}

impl RateLimiter {
    pub fn new(per_second: u32) -> Self {
        RateLimiter { per_second, buckets: HashMap::new() }
    }

    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// A new limit starts every credential with a full bucket.
    pub fn set(&mut self, per_second: u32) {
        self.per_second = per_second;
        self.buckets.clear();
    }

    /// Takes one request from `credential`'s bucket at `now_ms`; `None` when limiting is off.
    pub fn take(&mut self, credential: &str, now_ms: u64) -> Option<Budget> {
        let rate = self.per_second;
        if rate == 0 {
            return None;
        }
        let capacity = f64::from(rate);
        let bucket = self.buckets.entry(credential.to_owned()).or_insert(Bucket { tokens: capacity, at_ms: now_ms });
        let elapsed_s = now_ms.saturating_sub(bucket.at_ms) as f64 / 1000.0;
        bucket.tokens = (bucket.tokens + elapsed_s * capacity).min(capacity);
        bucket.at_ms = bucket.at_ms.max(now_ms);
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let seconds_for = |tokens: f64| (tokens.max(0.0) / capacity).ceil() as u64;
        Some(Budget {
            limit: rate,
            remaining: bucket.tokens.floor() as u32,
            reset_s: seconds_for(capacity - bucket.tokens),
            retry_after_s: (!allowed).then(|| seconds_for(1.0 - bucket.tokens).max(1)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default() {
        let mut limiter = RateLimiter::default();
        assert!((0..1000).all(|_| limiter.take("a", 0).is_none()));
    }

    #[test]
    fn a_full_bucket_then_refusals_then_refill() {
        let mut limiter = RateLimiter::new(4);
        let budgets: Vec<Budget> = (0..5).map(|_| limiter.take("tok", 1_000)).map(Option::unwrap).collect();
        assert_eq!(budgets.iter().map(|b| b.remaining).collect::<Vec<_>>(), [3, 2, 1, 0, 0]);
        assert!(budgets[..4].iter().all(|b| b.retry_after_s.is_none()));
        assert_eq!(budgets[4].retry_after_s, Some(1));
        assert_eq!(budgets[4].reset_s, 1);
        // Another credential has its own bucket.
        assert_eq!(limiter.take("AK", 1_000).unwrap().remaining, 3);
        // A quarter second later one request is back; half a second later two.
        assert_eq!(limiter.take("tok", 1_250).unwrap().retry_after_s, None);
        assert!(limiter.take("tok", 1_250).unwrap().retry_after_s.is_some());
        let later = limiter.take("tok", 1_750).unwrap();
        assert_eq!((later.retry_after_s, later.remaining), (None, 1));
        // Time going backwards refills nothing.
        assert_eq!(limiter.take("tok", 0).unwrap().remaining, 0);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let mut limiter = RateLimiter::new(1);
        assert!(limiter.take("t", 0).unwrap().retry_after_s.is_none());
        let refused = limiter.take("t", 10).unwrap();
        assert_eq!(refused.retry_after_s, Some(1));
        limiter.set(0);
        assert!(limiter.take("t", 20).is_none());
    }
}
