//! Rate limits: a token bucket per key (a user, a client address, a token id), refilled
//! continuously. Requests take from their user's bucket; failed authentications from
//! their client's and token id's, so guessing is slowed before argon2 runs again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::AccessError;

/// Allows `per_minute` requests a minute per user, with bursts up to `burst`.
pub struct RateLimiter {
    per_minute: u32,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_minute,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `user`'s bucket, or fails when it is empty.
    pub fn check(&self, user: &str) -> Result<(), AccessError> {
        if self.bucket(user, true) {
            Ok(())
        } else {
            Err(AccessError::RateLimited {
                per_minute: self.per_minute,
            })
        }
    }

    /// Whether `key`'s bucket holds a request, without taking it.
    pub fn allows(&self, key: &str) -> bool {
        self.bucket(key, false)
    }

    /// Takes one from `key`'s bucket (when it holds one).
    pub fn take(&self, key: &str) {
        self.bucket(key, true);
    }

    /// Refills `key`'s bucket; whether it holds a request (taking it when `take`).
    fn bucket(&self, key: &str, take: bool) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let rate = f64::from(self.per_minute) / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate limiter lock");
        if buckets.len() > 100_000 {
            // Forget idle keys rather than grow without bound.
            buckets.retain(|_, (_, at)| now.duration_since(*at).as_secs() < 120);
        }
        let (tokens, at) = buckets.entry(key.to_owned()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(self.burst);
        *at = now;
        let holds = *tokens >= 1.0;
        if holds && take {
            *tokens -= 1.0;
        }
        holds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_per_user() {
        let limiter = RateLimiter::new(60, 3);
        for _ in 0..3 {
            limiter.check("ana").unwrap();
        }
        assert!(matches!(
            limiter.check("ana"),
            Err(AccessError::RateLimited { .. })
        ));
        limiter.check("bob").unwrap();
        assert!(RateLimiter::new(0, 1).check("ana").is_ok());
    }
}
