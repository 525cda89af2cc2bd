//! A bounded pool for CPU-heavy work. Async callers await the result; the tokio workers
//! never run the work themselves. When the queue is full the call fails at once with
//! [`PoolError::Overloaded`] instead of piling up.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tokio::sync::{Semaphore, oneshot};

/// Errors from [`CpuPool::run`].
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("the {name} pool is busy ({capacity} tasks queued or running); try again shortly")]
    Overloaded { name: &'static str, capacity: usize },
    #[error("a task in the {name} pool panicked: {message}")]
    Panicked { name: &'static str, message: String },
    #[error("cannot start the {name} pool: {reason}")]
    Build { name: &'static str, reason: String },
}

/// A named rayon pool with a bounded queue.
#[derive(Clone)]
pub struct CpuPool {
    name: &'static str,
    pool: Arc<rayon::ThreadPool>,
    permits: Arc<Semaphore>,
    capacity: usize,
}

impl CpuPool {
    /// `threads` workers; at most `capacity` tasks queued or running at once.
    pub fn new(name: &'static str, threads: usize, capacity: usize) -> Result<Self, PoolError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(move |i| format!("toex-{name}-{i}"))
            .build()
            .map_err(|e| PoolError::Build {
                name,
                reason: e.to_string(),
            })?;
        Ok(Self {
            name,
            pool: Arc::new(pool),
            permits: Arc::new(Semaphore::new(capacity.max(1))),
            capacity: capacity.max(1),
        })
    }

    /// How many workers the pool has.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Runs `work` on the pool and awaits its result, keeping the caller's tracing span.
    pub async fn run<T, F>(&self, work: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit =
            self.permits
                .clone()
                .try_acquire_owned()
                .map_err(|_| PoolError::Overloaded {
                    name: self.name,
                    capacity: self.capacity,
                })?;
        let span = tracing::Span::current();
        let (tx, rx) = oneshot::channel();
        self.pool.spawn(move || {
            let result = {
                let _entered = span.enter();
                std::panic::catch_unwind(AssertUnwindSafe(work))
            };
            // Free the slot before the caller wakes, so its next call finds room.
            drop(permit);
            let _ = tx.send(result);
        });
        match rx.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(panic)) => Err(PoolError::Panicked {
                name: self.name,
                message: panic_message(&panic),
            }),
            Err(_) => Err(PoolError::Panicked {
                name: self.name,
                message: "the task was dropped".to_owned(),
            }),
        }
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_work_off_the_runtime_thread() {
        let pool = CpuPool::new("test", 1, 4).unwrap();
        let name = pool
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("toex-test-0"));
    }

    #[tokio::test]
    async fn a_full_queue_says_so() {
        let pool = CpuPool::new("test", 1, 1).unwrap();
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let blocked = pool.clone();
        let first = tokio::spawn(async move { blocked.run(move || wait.recv().unwrap()).await });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let err = pool.run(|| ()).await.unwrap_err();
        assert!(
            matches!(err, PoolError::Overloaded { capacity: 1, .. }),
            "{err}"
        );
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_panic_becomes_an_error() {
        let pool = CpuPool::new("test", 1, 1).unwrap();
        let err = pool.run(|| panic!("boom")).await.unwrap_err();
        assert!(err.to_string().contains("boom"));
        assert_eq!(
            pool.run(|| 2 + 2).await.unwrap(),
            4,
            "pool survives a panic"
        );
    }
}
