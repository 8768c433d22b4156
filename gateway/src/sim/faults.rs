//! Fault injection for API calls (`POST /_sim/faults`), drawn from a seeded PRNG so a run
//! with the same seed and the same call order sees the same faults.

use super::prng::Prng;
use serde::{Deserialize, Serialize};

/// What `POST /_sim/faults` sets. Every probability is in `[0, 1]` and they add up to at
/// most 1: one draw per API call picks at most one fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Added to every API answer, on top of `--latency-ms` (real milliseconds).
    pub latency_ms: u64,
    pub p429: f64,
    pub p500: f64,
    pub p503: f64,
    /// Drop the connection without an answer, before anything is applied.
    pub p_reset: f64,
    /// batch-update-tsvi only: apply the batch, then answer 500 or drop the connection.
    pub p_applied_then_500: f64,
    /// The `Retry-After` of a 429, in seconds.
    pub retry_after_s: u64,
    /// Reseeds the fault draws; absent keeps the current sequence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig { latency_ms: 0, p429: 0.0, p500: 0.0, p503: 0.0, p_reset: 0.0, p_applied_then_500: 0.0, retry_after_s: 1, seed: None }
    }
}

impl FaultConfig {
    fn probabilities(&self) -> [(&'static str, f64); 5] {
        [
            ("p429", self.p429),
            ("p500", self.p500),
            ("p503", self.p503),
            ("p_reset", self.p_reset),
            ("p_applied_then_500", self.p_applied_then_500),
        ]
    }

    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        for (name, p) in self.probabilities() {
            if !(0.0..=1.0).contains(&p) {
                problems.push(format!("{name} must be between 0 and 1"));
            }
        }
        let total: f64 = self.probabilities().iter().map(|(_, p)| p).sum();
        if problems.is_empty() && total > 1.0 + 1e-9 {
            problems.push(format!("the probabilities add up to {total}, more than 1"));
        }
        if self.latency_ms > 60_000 {
            problems.push("latency_ms must be at most 60000".into());
        }
        if self.retry_after_s > 3600 {
            problems.push("retry_after_s must be at most 3600".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    TooManyRequests {
        retry_after_s: u64,
    },
    Internal,
    Unavailable,
    Reset,
    /// Apply, then answer 500 (`drop: false`) or drop the connection (`drop: true`).
    AppliedThen {
        drop: bool,
    },
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::TooManyRequests { .. } => "429",
            Fault::Internal => "500",
            Fault::Unavailable => "503",
            Fault::Reset => "reset",
            Fault::AppliedThen { drop: false } => "applied_then_500",
            Fault::AppliedThen { drop: true } => "applied_then_reset",
        }
    }
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct FaultCounts {
    pub calls: u64,
    pub r429: u64,
    pub r500: u64,
    pub r503: u64,
    pub reset: u64,
    pub applied_then_500: u64,
    pub applied_then_reset: u64,
}

#[derive(Debug)]
pub struct Faults {
    config: FaultConfig,
    rng: Prng,
    seed: u64,
    counts: FaultCounts,
}

impl Faults {
    pub fn new(seed: u64) -> Self {
        Faults { config: FaultConfig::default(), rng: Prng::new(seed ^ 0xFA17), seed, counts: FaultCounts::default() }
    }

    pub fn config(&self) -> &FaultConfig {
        &self.config
    }

    pub fn counts(&self) -> &FaultCounts {
        &self.counts
    }

    pub fn set(&mut self, config: FaultConfig) {
        if let Some(seed) = config.seed {
            self.rng = Prng::new(seed ^ 0xFA17);
        }
        self.config = config;
    }

    /// Clears the faults and restarts the draws from the gateway's seed.
    pub fn reset(&mut self) {
        *self = Faults::new(self.seed);
    }

    /// Draws the fault for one API call. `p_applied_then_500` only applies to
    /// batch-update-tsvi; for other calls its share of draws passes without a fault.
    pub fn draw(&mut self, batch_update: bool) -> Option<Fault> {
        self.counts.calls += 1;
        let c = &self.config;
        if c.probabilities().iter().all(|(_, p)| *p == 0.0) {
            return None;
        }
        let u = self.rng.unit();
        let mut edge = 0.0;
        let mut within = |p: f64| {
            edge += p;
            u < edge
        };
        let fault = if within(c.p429) {
            Fault::TooManyRequests { retry_after_s: c.retry_after_s }
        } else if within(c.p500) {
            Fault::Internal
        } else if within(c.p503) {
            Fault::Unavailable
        } else if within(c.p_reset) {
            Fault::Reset
        } else if within(c.p_applied_then_500) && batch_update {
            Fault::AppliedThen { drop: self.rng.chance(0.5) }
        } else {
            return None;
        };
        let n = &mut self.counts;
        *match fault {
            Fault::TooManyRequests { .. } => &mut n.r429,
            Fault::Internal => &mut n.r500,
            Fault::Unavailable => &mut n.r503,
            Fault::Reset => &mut n.reset,
            Fault::AppliedThen { drop: false } => &mut n.applied_then_500,
            Fault::AppliedThen { drop: true } => &mut n.applied_then_reset,
        } += 1;
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_faults_by_default() {
        let mut f = Faults::new(1);
        assert!((0..1000).all(|_| f.draw(true).is_none()));
    }

    #[test]
    fn shares_are_roughly_right_and_deterministic() {
        let config = FaultConfig { p429: 0.1, p503: 0.1, p_applied_then_500: 0.2, ..Default::default() };
        let run = |batch| {
            let mut f = Faults::new(9);
            f.set(config.clone());
            (0..10_000).map(|_| f.draw(batch)).collect::<Vec<_>>()
        };
        let draws = run(true);
        assert_eq!(draws, run(true));
        let count = |pred: fn(&Option<Fault>) -> bool| draws.iter().filter(|d| pred(d)).count();
        assert!((800..1200).contains(&count(|d| matches!(d, Some(Fault::TooManyRequests { retry_after_s: 1 })))));
        assert!((1700..2300).contains(&count(|d| matches!(d, Some(Fault::AppliedThen { .. })))));
        assert!(run(false).iter().all(|d| !matches!(d, Some(Fault::AppliedThen { .. }))));
    }

    #[test]
    fn validation() {
        assert!(FaultConfig { p500: 1.5, ..Default::default() }.validate().is_err());
        assert!(FaultConfig { p500: 0.6, p503: 0.6, ..Default::default() }.validate().is_err());
        assert!(FaultConfig { p500: 0.5, p503: 0.5, ..Default::default() }.validate().is_ok());
        assert!(FaultConfig { p429: f64::NAN, ..Default::default() }.validate().is_err());
    }
}
