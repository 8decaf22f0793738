//! The bounded pool image scans run on (CPU-bound work off the async
//! workers, with admission control and a timeout).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// Why the pool did not produce a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolError {
    /// Every worker busy and the queue full.
    Saturated,
    /// No result within the timeout (queue wait included).
    Timeout,
    /// The job panicked (a bug; the image counts as undecodable).
    Failed,
}

/// A bounded pool for CPU-bound scans.
///
/// At most `workers` jobs run at once (each on a tokio blocking thread), at
/// most `queue` more wait for a turn; a job beyond that is refused at once
/// as [`PoolError::Saturated`] rather than piling up memory and latency. A
/// job that times out keeps its worker slot until it really ends (a thread
/// cannot be cancelled), so a flood of slow images cannot exceed `workers`
/// threads either.
#[derive(Debug)]
pub struct ScanPool {
    /// `workers + queue` permits: admission, taken without waiting.
    admitted: Arc<Semaphore>,
    /// `workers` permits: a running job.
    running: Arc<Semaphore>,
}

impl ScanPool {
    /// A pool of `workers` (at least 1) and `queue` waiting places.
    pub fn new(workers: usize, queue: usize) -> ScanPool {
        let workers = workers.max(1);
        ScanPool {
            admitted: Arc::new(Semaphore::new(workers.saturating_add(queue))),
            running: Arc::new(Semaphore::new(workers)),
        }
    }

    /// Runs `job` on the pool, waiting at most `timeout` for its result.
    pub async fn run<T, F>(&self, timeout: Duration, job: F) -> Result<T, PoolError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let admitted = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| PoolError::Saturated)?;
        let running = Arc::clone(&self.running);
        let work = async move {
            let Ok(slot) = running.acquire_owned().await else {
                return Err(PoolError::Failed);
            };
            // Both permits move into the thread: they are released when the
            // job ends, even after the caller stopped waiting.
            let handle = tokio::task::spawn_blocking(move || {
                let out = job();
                drop((slot, admitted));
                out
            });
            handle.await.map_err(|_| PoolError::Failed)
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(PoolError::Timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pool_saturates_and_times_out() {
        let pool = Arc::new(ScanPool::new(1, 0));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let p = Arc::clone(&pool);
        let first = tokio::spawn(async move {
            p.run(Duration::from_secs(30), move || {
                let _ = started_tx.send(());
                let _ = wait.recv();
                1
            })
            .await
        });
        let _ = started_rx.await;
        // The only worker is busy and there is no queue: refused at once.
        assert_eq!(
            pool.run(Duration::from_secs(30), || 2).await,
            Err(PoolError::Saturated)
        );
        let _ = release.send(());
        assert_eq!(first.await.ok(), Some(Ok(1)));
        // Free again.
        assert_eq!(pool.run(Duration::from_secs(30), || 3).await, Ok(3));

        // A slow job times out, and keeps its slot until it really ends.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        assert_eq!(
            pool.run(Duration::from_millis(50), move || {
                let _ = wait.recv();
            })
            .await,
            Err(PoolError::Timeout)
        );
        assert_eq!(
            pool.run(Duration::from_secs(30), || 4).await,
            Err(PoolError::Saturated)
        );
        let _ = release.send(());
        let mut ok = false;
        for _ in 0..200 {
            if pool.run(Duration::from_secs(30), || 5).await == Ok(5) {
                ok = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(ok, "the slot came back after the slow job ended");
    }

    #[tokio::test]
    async fn queue_waits_for_a_worker() {
        let pool = Arc::new(ScanPool::new(1, 1));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let p = Arc::clone(&pool);
        let first = tokio::spawn(async move {
            p.run(Duration::from_secs(30), move || {
                let _ = wait.recv();
                1
            })
            .await
        });
        tokio::task::yield_now().await;
        let p = Arc::clone(&pool);
        let second = tokio::spawn(async move { p.run(Duration::from_secs(30), || 2).await });
        let _ = release.send(());
        assert_eq!(first.await.ok(), Some(Ok(1)));
        assert_eq!(second.await.ok(), Some(Ok(2)));
    }
}
