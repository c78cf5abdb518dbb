//! The exporter's connection table: a bounded number of connections, and when it is full a
//! new client takes the slot of the connection that has been quiet the longest.
//!
//! Refusing new connections when full let 64 clients that send half a request head lock
//! Prometheus out until the header timeout freed them (and they could simply reconnect).
//! A scrape sends its whole request at once and is answered at once, so it is never the
//! quietest connection; an idle or slow client is. One client address holds at most
//! `MAX_PER_CLIENT` slots, evicting its own quietest first, so a hostile host cannot push
//! out the connections of others at all.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Sleep;

use super::budget::Budget;

/// Connections served at once, over all clients.
pub(crate) const MAX_CONNECTIONS: usize = 64;

/// Connections one client address holds at once.
pub(crate) const MAX_PER_CLIENT: usize = 16;

/// Connections of clients outside the allow-list, at once, and per client address: they
/// are only told 403 and closed, in a table of their own, so that they can never push out
/// the connections of allowed clients.
pub(crate) const MAX_REFUSED: usize = 16;
pub(crate) const MAX_REFUSED_PER_CLIENT: usize = 4;

/// One connection as the table sees it.
struct Entry {
    client: IpAddr,
    activity: Arc<Activity>,
    evict: Arc<Notify>,
}

/// When a connection last moved bytes, in microseconds since the table was made.
#[derive(Debug)]
pub(crate) struct Activity {
    epoch: Instant,
    last: AtomicU64,
}

impl Activity {
    fn touch(&self) {
        let now = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.last.store(now, Ordering::Relaxed);
    }

    fn last(&self) -> u64 {
        self.last.load(Ordering::Relaxed)
    }
}

/// Every open connection of the exporter.
pub(crate) struct Table {
    max_connections: usize,
    max_per_client: usize,
    epoch: Instant,
    next_id: AtomicU64,
    entries: Mutex<HashMap<u64, Entry>>,
}

/// A connection's place in the table; dropping it frees the slot.
pub(crate) struct Slot {
    table: Arc<Table>,
    id: u64,
    /// Notified when a newer client takes this slot.
    pub(crate) evicted: Arc<Notify>,
    pub(crate) activity: Arc<Activity>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.table.lock().remove(&self.id);
    }
}

impl Table {
    /// The table of allowed clients: [`MAX_CONNECTIONS`], [`MAX_PER_CLIENT`].
    pub(crate) fn new() -> Arc<Table> {
        Table::with_limits(MAX_CONNECTIONS, MAX_PER_CLIENT)
    }

    /// The table of clients outside the allow-list: [`MAX_REFUSED`],
    /// [`MAX_REFUSED_PER_CLIENT`].
    pub(crate) fn for_refused() -> Arc<Table> {
        Table::with_limits(MAX_REFUSED, MAX_REFUSED_PER_CLIENT)
    }

    fn with_limits(max_connections: usize, max_per_client: usize) -> Arc<Table> {
        Arc::new(Table {
            max_connections,
            max_per_client,
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for a new connection from `client`, evicting the quietest connection of that
    /// client when it holds its share, else the quietest of all when the table is full.
    pub(crate) fn admit(self: &Arc<Self>, client: IpAddr) -> Slot {
        let mut entries = self.lock();
        let own = entries.values().filter(|e| e.client == client).count();
        let victim = if own >= self.max_per_client {
            quietest(&entries, |e| e.client == client)
        } else if entries.len() >= self.max_connections {
            quietest(&entries, |_| true)
        } else {
            None
        };
        if let Some(id) = victim {
            if let Some(entry) = entries.remove(&id) {
                entry.evict.notify_one();
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let activity = Arc::new(Activity {
            epoch: self.epoch,
            last: AtomicU64::new(0),
        });
        activity.touch();
        let evicted = Arc::new(Notify::new());
        entries.insert(
            id,
            Entry {
                client,
                activity: activity.clone(),
                evict: evicted.clone(),
            },
        );
        Slot {
            table: self.clone(),
            id,
            evicted,
            activity,
        }
    }

    /// Connections in the table now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

fn quietest(entries: &HashMap<u64, Entry>, eligible: impl Fn(&Entry) -> bool) -> Option<u64> {
    entries
        .iter()
        .filter(|(_, e)| eligible(e))
        .min_by_key(|(id, e)| (e.activity.last(), **id))
        .map(|(id, _)| *id)
}

/// A connection's stream: records when it last moved bytes, and fails a write that the
/// client has not let through for `write_timeout`, so that a client that does not read its
/// response is dropped with it instead of holding it in memory.
pub(crate) struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
    /// Charged with the time each write takes (the copy into the socket).
    budget: Arc<Budget>,
    write_timeout: Duration,
    /// Running while a write waits for the client to read.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> Tracked<S> {
    pub(crate) fn new(
        inner: S,
        activity: Arc<Activity>,
        budget: Arc<Budget>,
        write_timeout: Duration,
    ) -> Self {
        Tracked {
            inner,
            activity,
            budget,
            write_timeout,
            stalled: None,
        }
    }

    /// After a write: bytes moved (the stall, if any, is over), or it waits.
    fn written(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<std::io::Result<usize>>,
    ) -> Poll<std::io::Result<usize>> {
        match poll {
            Poll::Pending => self.stall(cx),
            poll => {
                if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
                    self.activity.touch();
                }
                self.stalled = None;
                poll
            }
        }
    }

    /// A write is pending: wait on, unless it has waited `write_timeout` already.
    fn stall<T>(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<T>> {
        let timeout = self.write_timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client did not read its response",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let budget = self.budget.clone();
        let poll = budget.timed(|| Pin::new(&mut self.inner).poll_write(cx, buf));
        self.written(cx, poll)
    }

    /// Passed on, so that hyper queues a shared body (`/dashboard.json`) as it is instead of
    /// copying it into a buffer of each connection's own.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let budget = self.budget.clone();
        let poll = budget.timed(|| Pin::new(&mut self.inner).poll_write_vectored(cx, bufs));
        self.written(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending => self.stall(cx),
            poll => {
                self.stalled = None;
                poll
            }
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn a_full_table_evicts_the_quietest_connection() {
        let table = Table::new();
        let mut slots: Vec<Slot> = (0..MAX_CONNECTIONS)
            .map(|i| table.admit(ip(u8::try_from(i / MAX_PER_CLIENT).unwrap())))
            .collect();
        assert_eq!(table.len(), MAX_CONNECTIONS);
        std::thread::sleep(std::time::Duration::from_millis(2));
        for slot in &slots[1..] {
            slot.activity.touch(); // every connection but the first moved bytes since
        }
        let newcomer = table.admit(ip(200));
        assert_eq!(table.len(), MAX_CONNECTIONS);
        let first = slots.remove(0);
        assert!(
            first.evicted.notified().now_or_never_ready(),
            "the quietest one is told to go"
        );
        assert!(slots
            .iter()
            .all(|s| !s.evicted.notified().now_or_never_ready()));
        drop(newcomer);
        assert_eq!(table.len(), MAX_CONNECTIONS - 1);
    }

    #[test]
    fn one_client_holds_at_most_its_share_and_evicts_its_own() {
        let table = Table::new();
        let others: Vec<Slot> = (0..4).map(|_| table.admit(ip(1))).collect();
        let own: Vec<Slot> = (0..MAX_PER_CLIENT * 3)
            .map(|_| table.admit(ip(2)))
            .collect();
        assert_eq!(table.len(), 4 + MAX_PER_CLIENT);
        assert!(others
            .iter()
            .all(|s| !s.evicted.notified().now_or_never_ready()));
        let evicted = own
            .iter()
            .filter(|s| s.evicted.notified().now_or_never_ready())
            .count();
        assert_eq!(evicted, MAX_PER_CLIENT * 2);
    }

    /// Catches: a timeout counted from the first stall rather than from the last byte let
    /// through (a slow reader cut off), and no timeout at all.
    #[tokio::test]
    async fn a_write_fails_only_after_the_client_let_nothing_through_for_the_timeout() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let timeout = std::time::Duration::from_millis(500);
        let activity = Table::new().admit(ip(1)).activity.clone();

        // A reader that takes a little every 50 ms: slow, for 1.5 s in all, but reading.
        let (server, mut client) = tokio::io::duplex(64);
        let mut tracked = Tracked::new(server, activity.clone(), unlimited(), timeout);
        let reader = tokio::spawn(async move {
            let mut buf = [0u8; 16];
            for _ in 0..30 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                client.read_exact(&mut buf).await.unwrap();
            }
            client
        });
        tracked
            .write_all(&[7u8; 16 * 30])
            .await
            .expect("a slow reader is served");
        let mut client = reader.await.unwrap();

        // Now it reads nothing: the write fails once the timeout has passed.
        let started = tokio::time::Instant::now();
        let bounded = std::time::Duration::from_secs(5);
        let error = tokio::time::timeout(bounded, tracked.write_all(&[7u8; 1024]))
            .await
            .expect("the stalled write fails within the timeout, not never")
            .expect_err("a stalled write fails");
        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= timeout);
        let _ = client.read(&mut [0u8; 1]).await;
    }

    /// Catches: vectored writes not passed on, with which hyper copies every response
    /// body, shared ones included, into a buffer of the connection's own (64 clients that
    /// did not read held 64 copies of a 6 MB dashboard).
    #[tokio::test]
    async fn a_tracked_socket_takes_vectored_writes() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let activity = Table::new().admit(ip(1)).activity.clone();
        let tracked = Tracked::new(
            stream,
            activity,
            unlimited(),
            std::time::Duration::from_secs(1),
        );
        assert!(tracked.is_write_vectored());
    }

    fn unlimited() -> Arc<Budget> {
        Arc::new(Budget::new(
            1.0,
            std::time::Duration::from_secs(3600),
            Instant::now(),
        ))
    }

    trait NowOrNever {
        fn now_or_never_ready(self) -> bool;
    }

    impl<F: std::future::Future> NowOrNever for F {
        fn now_or_never_ready(self) -> bool {
            let waker = std::task::Waker::noop();
            let mut cx = Context::from_waker(waker);
            let mut future = std::pin::pin!(self);
            future.as_mut().poll(&mut cx).is_ready()
        }
    }
}
