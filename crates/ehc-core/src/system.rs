//! The production implementations of [`Clock`] and [`SecretSource`]: the only code in the core
//! allowed to read the system clock or the operating system's random source (clippy.toml bans
//! both everywhere else).

use time::OffsetDateTime;

use crate::ports::{Clock, RandomnessUnavailable, SecretSource};

/// The system clock in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place the clock is read
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// The operating system's cryptographically secure random source (`getrandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsSecretSource;

impl SecretSource for OsSecretSource {
    #[allow(clippy::disallowed_methods)] // the one place the OS random source is read
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable> {
        getrandom::fill(dest).map_err(|e| RandomnessUnavailable(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_os_source_fills_the_whole_buffer_with_fresh_bytes() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        OsSecretSource.fill(&mut a).unwrap();
        OsSecretSource.fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
    }
}
