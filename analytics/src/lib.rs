//! Pure analytics for toex: graph algorithms (`algo`), spatial statistics (`spatial`),
//! threat-profile scoring (`profiles`) and the crime-harm table (`harm`). No I/O and no
//! async: callers run these on the CPU pool, never on tokio workers.

pub mod algo;
mod error;
pub mod harm;
pub mod profiles;
pub mod spatial;

pub use error::AnalyticsError;
