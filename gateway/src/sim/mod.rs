//! The simulator: the world, the clock, the faults and the ledger, behind one handle that
//! the API handlers and the `/_sim/` test-control API share.

pub mod clock;
pub mod commands;
pub mod data;
pub mod faults;
pub mod filters;
pub mod jobs;
pub mod ledger;
pub mod prng;
pub mod rate_limit;
pub mod sessions;
pub mod state;
pub mod views;

use crate::auth::Credentials;
use clock::{iso_millis_from_ms, SimClock};
use faults::Faults;
use ledger::{capped_ids, Ledger, LedgerEntry, LedgerNote, DEFAULT_LEDGER_MAX};
use rate_limit::{Budget, RateLimiter};
use state::{Settings, World};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub struct Simulator {
    pub credentials: Credentials,
    pub clock: SimClock,
    /// The settings from the command line; a reset starts from them.
    initial: Settings,
    world: RwLock<World>,
    faults: Mutex<Faults>,
    ledger: Mutex<Ledger>,
    /// Request bodies of API calls larger than this are refused with 413.
    max_api_body: usize,
    latency_ms: AtomicU64,
    /// `--rate-limit`; a reset goes back to it.
    initial_rate_limit: u32,
    rate_limiter: Mutex<RateLimiter>,
    /// The rate limiter's time: real and monotonic, whatever the simulated clock does.
    started: std::time::Instant,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").field("credentials", &self.credentials).field("initial", &self.initial).finish_non_exhaustive()
    }
}

impl Simulator {
    pub fn new(credentials: Credentials, settings: Settings, latency_ms: u64) -> Self {
        let clock = SimClock::new();
        let world = data::generate(&settings, &credentials.project_id, clock.now_ms());
        Simulator {
            faults: Mutex::new(Faults::new(settings.seed)),
            credentials,
            clock,
            initial: settings,
            world: RwLock::new(world),
            ledger: Mutex::new(Ledger::new(DEFAULT_LEDGER_MAX)),
            max_api_body: crate::config::DEFAULT_MAX_API_BODY,
            latency_ms: AtomicU64::new(latency_ms),
            initial_rate_limit: 0,
            rate_limiter: Mutex::new(RateLimiter::default()),
            started: std::time::Instant::now(),
        }
    }

    /// Sets `--rate-limit` (requests per second per credential; 0 is off).
    pub fn with_rate_limit(mut self, per_second: u32) -> Self {
        self.initial_rate_limit = per_second;
        self.rate_limiter = Mutex::new(RateLimiter::new(per_second));
        self
    }

    /// Sets the largest API request body and the ledger's bound.
    pub fn with_limits(mut self, max_api_body: usize, ledger_max: usize) -> Self {
        self.max_api_body = max_api_body;
        self.ledger = Mutex::new(Ledger::new(ledger_max));
        self
    }

    pub fn max_api_body(&self) -> usize {
        self.max_api_body
    }

    fn rate_limiter(&self) -> MutexGuard<'_, RateLimiter> {
        self.rate_limiter.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn rate_limit(&self) -> u32 {
        self.rate_limiter().per_second()
    }

    pub fn set_rate_limit(&self, per_second: u32) {
        self.rate_limiter().set(per_second);
    }

    /// Takes one request from the budget of an authenticated credential.
    pub fn take_budget(&self, credential: &str) -> Option<Budget> {
        let now = self.started.elapsed().as_millis() as u64;
        self.rate_limiter().take(credential, now)
    }

    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    // A panic while a lock is held cannot leave the world half-changed in a way that matters
    // more than stopping the simulator would, so poisoned locks are used as they are.

    pub fn world(&self) -> RwLockReadGuard<'_, World> {
        self.world.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn world_mut(&self) -> RwLockWriteGuard<'_, World> {
        self.world.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn initial_settings(&self) -> &Settings {
        &self.initial
    }

    /// `--latency-ms` (changeable through `/_sim/settings`) plus the fault latency.
    pub fn latency_ms(&self) -> u64 {
        self.latency_ms.load(Ordering::Relaxed) + self.faults().config().latency_ms
    }

    pub fn base_latency_ms(&self) -> u64 {
        self.latency_ms.load(Ordering::Relaxed)
    }

    pub fn set_base_latency_ms(&self, ms: u64) {
        self.latency_ms.store(ms, Ordering::Relaxed);
    }

    /// Back to the seeded initial state (with `settings`, the command line's by default):
    /// clock at wall time, faults cleared, rate limit back to `--rate-limit`, ledger emptied.
    pub fn reset(&self, settings: Settings) {
        self.clock.reset();
        let world = data::generate(&settings, &self.credentials.project_id, self.clock.now_ms());
        *self.world_mut() = world;
        self.faults().reset();
        self.set_rate_limit(self.initial_rate_limit);
        self.ledger().clear();
    }

    /// Appends the ledger entry of one authenticated batch-update-tsvi request.
    pub fn record(&self, request_id: String, status: u16, body_ids: Vec<String>, note: LedgerNote) {
        let now = self.now_ms();
        let applied = note.job_id.is_some();
        let (ids, ids_omitted) = if applied { (note.items.iter().map(|i| i.id.clone()).collect(), 0) } else { capped_ids(body_ids) };
        self.ledger().push(LedgerEntry {
            seq: 0,
            at: iso_millis_from_ms(now),
            at_ms: now,
            request_id,
            status,
            ids,
            ids_omitted,
            applied,
            job_id: note.job_id,
            fault: note.fault,
            items: note.items,
        });
    }
}
