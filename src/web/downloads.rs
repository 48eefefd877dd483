//! *Download backup* asked for several times at once for one training: the requests that arrive
//! while that training is being read share the next read instead of each making its own
//! (docs/decisions.md §24). A request never gets a file read before it arrived: it joins only
//! a read that has not started yet, which starts when the one running ends.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;

use crate::save::SaveError;

/// A signed backup ready to send: its file name and text.
pub(super) struct Download {
    pub name: String,
    pub text: Bytes,
}

/// Why a download could not be made; each visitor is told in their own language.
pub(super) enum Failure {
    /// The site's signing key cannot be read.
    NoSigningKey,
    /// The training could not be read or saved.
    Save(SaveError),
    /// The thread that built the file stopped.
    Internal(String),
}

/// What every request sharing one read gets.
pub(super) type Outcome = Result<Arc<Download>, Arc<Failure>>;

/// One read of a training and those waiting for it.
#[derive(Default)]
struct Flight {
    outcome: tokio::sync::OnceCell<Outcome>,
}

/// The downloads being made, by training.
#[derive(Default)]
pub(super) struct Downloads {
    /// Per training, the read not started yet, which new requests join.
    waiting: Mutex<HashMap<i64, Arc<Flight>>>,
    /// Per training, held during its read: the next one waits for it (and gathers requests
    /// meanwhile). One entry per training ever downloaded, a few bytes each.
    reading: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
}

impl Downloads {
    /// The download of training `id`: made by `build`, or shared with the requests that
    /// arrived with this one. When the request that started the read is given up (its
    /// visitor left), one of those waiting makes it instead.
    pub(super) async fn of<F, Fut>(&self, id: i64, build: F) -> Outcome
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Outcome>,
    {
        let flight = shared(&self.waiting, id);
        flight
            .outcome
            .get_or_init(|| async {
                let turn = shared(&self.reading, id);
                let _reading = turn.lock().await;
                // From now on the training is read: a request arriving later must not get
                // this file, it starts the next read.
                {
                    let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
                    if waiting.get(&id).is_some_and(|w| Arc::ptr_eq(w, &flight)) {
                        waiting.remove(&id);
                    }
                }
                build().await
            })
            .await
            .clone()
    }
}

/// The entry of training `id` in `map`, made when missing.
fn shared<T: Default>(map: &Mutex<HashMap<i64, Arc<T>>>, id: i64) -> Arc<T> {
    Arc::clone(
        map.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(id)
            .or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn made(n: usize) -> Outcome {
        Ok(Arc::new(Download {
            name: n.to_string(),
            text: Bytes::new(),
        }))
    }

    /// Ten requests arriving while a read runs share the next read; none gets the read that
    /// started before it arrived.
    #[tokio::test]
    async fn requests_arriving_during_a_read_share_the_next_one() {
        let downloads = Arc::new(Downloads::default());
        let reads = Arc::new(AtomicUsize::new(0));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let (downloads, reads) = (Arc::clone(&downloads), Arc::clone(&reads));
            tokio::spawn(async move {
                downloads
                    .of(7, || async move {
                        let n = reads.fetch_add(1, Ordering::SeqCst);
                        let _ = started_tx.send(());
                        let _ = release_rx.await;
                        made(n)
                    })
                    .await
            })
        };
        let _ = started_rx.await;
        let mut later = Vec::new();
        for _ in 0..10 {
            let (downloads, reads) = (Arc::clone(&downloads), Arc::clone(&reads));
            later.push(tokio::spawn(async move {
                downloads
                    .of(
                        7,
                        || async move { made(reads.fetch_add(1, Ordering::SeqCst)) },
                    )
                    .await
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = release_tx.send(());
        let first = first
            .await
            .ok()
            .and_then(Result::ok)
            .map(|d| d.name.clone());
        assert_eq!(first.as_deref(), Some("0"));
        for request in later {
            let name = request
                .await
                .ok()
                .and_then(Result::ok)
                .map(|d| d.name.clone());
            assert_eq!(name.as_deref(), Some("1"), "the ten share the second read");
        }
        assert_eq!(reads.load(Ordering::SeqCst), 2);

        // Once done, a new request reads again, and another training is read apart.
        let again = downloads.of(7, || async { made(9) }).await;
        assert_eq!(again.ok().map(|d| d.name.clone()).as_deref(), Some("9"));
        let other = downloads.of(8, || async { made(5) }).await;
        assert_eq!(other.ok().map(|d| d.name.clone()).as_deref(), Some("5"));
    }
}
