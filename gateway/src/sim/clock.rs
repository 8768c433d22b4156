//! The simulated clock. It starts at the real wall time (so SDK clients with real dates pass
//! the 15-minute `X-Sdk-Date` check), runs with real time, and can be moved forward, offset
//! or paused through `POST /_sim/clock`. Every job and session state is a function of this
//! clock, so tests advance it instead of sleeping.

use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use workspace_tsvi::sign::sdk_date_from_unix;

pub fn wall_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[derive(Debug)]
struct Inner {
    /// Simulated milliseconds since the epoch at `anchor`.
    base_ms: u64,
    anchor: Instant,
    paused: bool,
}

#[derive(Debug)]
pub struct SimClock {
    inner: Mutex<Inner>,
}

/// What `GET /_sim/clock` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClockReading {
    pub now_ms: u64,
    pub now: String,
    /// The `X-Sdk-Date` a signed request should carry now.
    pub sdk_date: String,
    /// Simulated minus wall time.
    pub offset_ms: i64,
    pub paused: bool,
}

impl Default for SimClock {
    fn default() -> Self {
        Self::new()
    }
}

impl SimClock {
    pub fn new() -> Self {
        SimClock { inner: Mutex::new(Inner { base_ms: wall_ms(), anchor: Instant::now(), paused: false }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now_locked(inner: &Inner) -> u64 {
        if inner.paused {
            inner.base_ms
        } else {
            inner.base_ms.saturating_add(inner.anchor.elapsed().as_millis() as u64)
        }
    }

    pub fn now_ms(&self) -> u64 {
        Self::now_locked(&self.lock())
    }

    /// Jumps forward by `ms`.
    pub fn advance(&self, ms: u64) {
        let mut inner = self.lock();
        inner.base_ms = Self::now_locked(&inner).saturating_add(ms);
        inner.anchor = Instant::now();
    }

    /// Sets the simulated time to wall time plus `offset_ms`. Moving backwards is allowed
    /// but undoes nothing that already happened.
    pub fn set_offset(&self, offset_ms: i64) {
        let mut inner = self.lock();
        inner.base_ms = (wall_ms() as i64).saturating_add(offset_ms).max(0) as u64;
        inner.anchor = Instant::now();
    }

    /// Stops or restarts the flow of time; a paused clock moves only through `advance`.
    pub fn set_paused(&self, paused: bool) {
        let mut inner = self.lock();
        inner.base_ms = Self::now_locked(&inner);
        inner.anchor = Instant::now();
        inner.paused = paused;
    }

    /// Back to wall time, running.
    pub fn reset(&self) {
        let mut inner = self.lock();
        *inner = Inner { base_ms: wall_ms(), anchor: Instant::now(), paused: false };
    }

    pub fn reading(&self) -> ClockReading {
        let (now_ms, paused) = {
            let inner = self.lock();
            (Self::now_locked(&inner), inner.paused)
        };
        ClockReading {
            now_ms,
            now: iso_from_ms(now_ms),
            sdk_date: sdk_date_from_unix(now_ms / 1000),
            offset_ms: now_ms as i64 - wall_ms() as i64,
            paused,
        }
    }
}

/// `2024-01-02T03:04:05Z`, the datetime format of the API's time fields.
pub fn iso_from_ms(ms: u64) -> String {
    let d = sdk_date_from_unix(ms / 1000); // YYYYMMDDTHHMMSSZ
    format!("{}-{}-{}T{}:{}:{}Z", &d[0..4], &d[4..6], &d[6..8], &d[9..11], &d[11..13], &d[13..15])
}

/// `Tue, 02 Jan 2024 03:04:05 GMT`: the IMF-fixdate of RFC 7231, for the `Date` header.
pub fn http_date_from_ms(ms: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]; // 1970-01-01 was a Thursday
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let secs = ms / 1000;
    let d = sdk_date_from_unix(secs); // YYYYMMDDTHHMMSSZ
    let month = d[4..6].parse::<usize>().unwrap_or(1).clamp(1, 12);
    format!(
        "{}, {} {} {} {}:{}:{} GMT",
        DAYS[(secs / 86_400 % 7) as usize],
        &d[6..8],
        MONTHS[month - 1],
        &d[0..4],
        &d[9..11],
        &d[11..13],
        &d[13..15]
    )
}

/// `2024-01-02T03:04:05.678Z`, for the ledger.
pub fn iso_millis_from_ms(ms: u64) -> String {
    let seconds = iso_from_ms(ms);
    format!("{}.{:03}Z", &seconds[..seconds.len() - 1], ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(iso_from_ms(1_704_164_645_123), "2024-01-02T03:04:05Z");
        assert_eq!(iso_millis_from_ms(1_704_164_645_123), "2024-01-02T03:04:05.123Z");
        assert_eq!(http_date_from_ms(1_704_164_645_123), "Tue, 02 Jan 2024 03:04:05 GMT");
        assert_eq!(http_date_from_ms(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date_from_ms(951_782_400_000), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn paused_clock_moves_only_when_advanced() {
        let clock = SimClock::new();
        clock.set_paused(true);
        let t0 = clock.now_ms();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now_ms(), t0);
        clock.advance(60_000);
        assert_eq!(clock.now_ms(), t0 + 60_000);
        assert!(clock.reading().offset_ms >= 59_000);
        clock.set_offset(0);
        assert!(clock.now_ms().abs_diff(wall_ms()) < 1000);
    }
}
