//! Login throttling: attempts per account and per client address, as token buckets (governor),
//! checked before any password is hashed, so a burst of guesses costs the server almost nothing
//! and is answered `429` with `Retry-After`. Per process: with several replicas each enforces the
//! limits on the requests it receives.

use crate::config::Config;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// The limiters.
#[derive(Debug)]
pub struct Throttle {
    accounts: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
}

fn quota(burst: u32, refill_seconds: u64) -> Quota {
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(Duration::from_secs(refill_seconds.max(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// Seconds until the limiter allows the next attempt, rounded up.
fn retry_after(not_until: &governor::NotUntil<<DefaultClock as Clock>::Instant>) -> u64 {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl Throttle {
    pub fn new(config: &Config) -> Throttle {
        Throttle {
            accounts: RateLimiter::keyed(quota(
                config.login_burst_per_account,
                config.login_refill_seconds_per_account,
            )),
            addresses: RateLimiter::keyed(quota(
                config.login_burst_per_address,
                config.login_refill_seconds_per_address,
            )),
        }
    }

    /// One attempt from `ip`; `Err(seconds)` to wait when it is over its limit.
    pub fn address(&self, ip: Option<IpAddr>) -> Result<(), u64> {
        match ip {
            Some(ip) => self.addresses.check_key(&ip).map_err(|n| retry_after(&n)),
            None => Ok(()),
        }
    }

    /// One attempt at `username`'s account (counted whether the account exists or not, so the
    /// answer never tells which usernames exist).
    pub fn account(&self, username: &str) -> Result<(), u64> {
        self.accounts
            .check_key(&username.to_owned())
            .map_err(|n| retry_after(&n))
    }

    /// Forgets keys whose buckets are full again, so a spray of usernames or addresses does not
    /// grow the tables without end.
    pub fn tidy(&self) {
        self.accounts.retain_recent();
        self.accounts.shrink_to_fit();
        self.addresses.retain_recent();
        self.addresses.shrink_to_fit();
    }

    /// Keys held now (accounts, addresses).
    pub fn len(&self) -> (usize, usize) {
        (self.accounts.len(), self.addresses.len())
    }
}
