//! Webhook: each alert POSTed as JSON to a URL, with retries and backoff. Alerts go first to a
//! spool file (a queue on disk) that a sender thread works through, so a slow or dead
//! endpoint never stalls ingestion and never loses an alert: they wait on disk, and are sent
//! when it comes back. Delivery is at least once. An alert the endpoint refuses for good (a
//! 4xx other than 408 and 429) is set aside in `<spool>.rejected` rather than retried for
//! ever, so it cannot hold up the ones behind it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded};

/// The spool is compacted once everything in it is sent and it is larger than this.
const COMPACT_BYTES: u64 = 1 << 20;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Counters of the sender, for stats.
#[derive(Debug, Default)]
pub struct WebhookCounters {
    pub sent: AtomicU64,
    pub failed_attempts: AtomicU64,
    /// Alerts the endpoint refused for good, set aside.
    pub refused: AtomicU64,
}

/// The producer side of the webhook.
pub struct Webhook {
    spool: Arc<Mutex<File>>,
    spool_path: PathBuf,
    /// Where the spool has been sent to, shared with the sender.
    sent: Arc<AtomicU64>,
    wake: Sender<()>,
    stop: Arc<AtomicBool>,
    sender: Option<JoinHandle<()>>,
    pub counters: Arc<WebhookCounters>,
}

fn sent_path(spool: &Path) -> PathBuf {
    spool.with_extension("sent")
}

/// The offset up to which the spool has been sent.
fn read_sent(spool: &Path) -> u64 {
    std::fs::read_to_string(sent_path(spool))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

/// Records the sent offset atomically (write, then rename).
fn write_sent(spool: &Path, offset: u64) -> io::Result<()> {
    let path = sent_path(spool);
    let tmp = path.with_extension("sent.tmp");
    std::fs::write(&tmp, offset.to_string())?;
    std::fs::rename(tmp, path)
}

impl Webhook {
    /// Starts sending to `url` from the spool file `spool` (created if missing; what an
    /// earlier run left unsent is sent first).
    pub fn start(url: String, spool_path: PathBuf) -> io::Result<Webhook> {
        let spool = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&spool_path)?;
        let spool = Arc::new(Mutex::new(spool));
        let (wake, woken) = bounded(1);
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(WebhookCounters::default());
        let sent = Arc::new(AtomicU64::new(read_sent(&spool_path)));
        let sender = {
            let path = spool_path.clone();
            let stop = Arc::clone(&stop);
            let counters = Arc::clone(&counters);
            let sent = Arc::clone(&sent);
            let spool = Arc::clone(&spool);
            std::thread::spawn(move || {
                send_loop(&url, &path, &spool, &sent, &woken, &stop, &counters);
            })
        };
        Ok(Webhook {
            spool,
            spool_path,
            sent,
            wake,
            stop,
            sender: Some(sender),
            counters,
        })
    }

    /// Queues one alert (a JSON object, without its newline).
    pub fn queue(&self, json: &[u8]) -> io::Result<()> {
        {
            let mut spool = self
                .spool
                .lock()
                .map_err(|_| io::Error::other("spool lock poisoned"))?;
            let mut line = Vec::with_capacity(json.len() + 1);
            line.extend_from_slice(json);
            line.push(b'\n');
            spool.write_all(&line)?;
            spool.flush()?;
        }
        let _ = self.wake.try_send(());
        Ok(())
    }

    /// Bytes in the spool file (for a checkpoint).
    pub fn spool_len(&self) -> u64 {
        std::fs::metadata(&self.spool_path).map_or(0, |m| m.len())
    }

    /// Alerts queued and not yet sent, in bytes.
    pub fn backlog(&self) -> u64 {
        self.spool_len()
            .saturating_sub(self.sent.load(Ordering::Relaxed))
    }

    /// Where the alerts wait.
    pub fn spool_path(&self) -> &Path {
        &self.spool_path
    }

    /// Empties a spool that has been sent whole, so that it does not grow for ever. Called
    /// by its owner (right before a checkpoint records its length), never behind its back.
    pub fn compact(&self) {
        let Ok(file) = self.spool.lock() else { return };
        let len = file.metadata().map_or(0, |m| m.len());
        if len >= COMPACT_BYTES
            && self.sent.load(Ordering::Relaxed) == len
            && file.set_len(0).is_ok()
        {
            self.sent.store(0, Ordering::Relaxed);
            let _ = write_sent(&self.spool_path, 0);
        }
    }

    /// Cuts the spool back to `len` bytes (what a checkpoint recorded), so that alerts
    /// produced again after a restart are not queued twice.
    pub fn truncate_spool(spool_path: &Path, len: u64) -> io::Result<()> {
        if let Ok(meta) = std::fs::metadata(spool_path)
            && meta.len() > len
        {
            OpenOptions::new()
                .write(true)
                .open(spool_path)?
                .set_len(len)?;
            if read_sent(spool_path) > len {
                write_sent(spool_path, len)?;
            }
        }
        Ok(())
    }

    /// Stops the sender, after it has sent what it can within `drain`; the rest stays in the
    /// spool for the next run.
    /// Returns the bytes of alerts left unsent in the spool.
    pub fn finish(mut self, drain: Duration) -> u64 {
        let deadline = Instant::now() + drain;
        while self.backlog() > 0 && Instant::now() < deadline {
            let _ = self.wake.try_send(());
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.wake.try_send(());
        if let Some(sender) = self.sender.take() {
            let _ = sender.join();
        }
        self.backlog()
    }
}

/// The next whole line of the spool at `offset`, if one is there.
fn next_line(path: &Path, offset: u64) -> io::Result<Option<Vec<u8>>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut line = Vec::new();
    BufReader::new(file).read_until(b'\n', &mut line)?;
    Ok(line.ends_with(b"\n").then_some(line))
}

/// Works through the spool. The spool lock is held while the sent offset is read with its
/// line and while it moves on, so that [`Webhook::compact`] never runs in between.
fn send_loop(
    url: &str,
    path: &Path,
    spool: &Mutex<File>,
    sent: &AtomicU64,
    woken: &Receiver<()>,
    stop: &AtomicBool,
    counters: &WebhookCounters,
) {
    // A fresh connection per alert: a pooled one to an endpoint that went away can hang
    // until its timeout instead of failing at once.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(3)))
        .timeout_global(Some(Duration::from_secs(10)))
        .max_idle_connections(0)
        .http_status_as_error(true)
        .build()
        .into();
    let mut backoff = Duration::from_millis(100);
    while !stop.load(Ordering::Relaxed) {
        let next = match spool.lock() {
            Ok(_guard) => {
                let offset = sent.load(Ordering::Relaxed);
                next_line(path, offset).map(|line| line.map(|line| (offset, line)))
            }
            Err(_) => return,
        };
        let (offset, line) = match next {
            Ok(Some(line)) => line,
            Ok(None) | Err(_) => {
                let _ = woken.recv_timeout(Duration::from_millis(200));
                continue;
            }
        };
        let body = &line[..line.len() - 1];
        let outcome = agent
            .post(url)
            .header("content-type", "application/json")
            .send(body);
        let done = match outcome {
            Ok(_) => {
                counters.sent.fetch_add(1, Ordering::Relaxed);
                true
            }
            // Refused for good: set it aside, go on with the next.
            Err(ureq::Error::StatusCode(code))
                if (400..500).contains(&code) && code != 408 && code != 429 =>
            {
                counters.refused.fetch_add(1, Ordering::Relaxed);
                let _ = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path.with_extension("rejected"))
                    .and_then(|mut f| f.write_all(&line));
                true
            }
            Err(_) => {
                counters.failed_attempts.fetch_add(1, Ordering::Relaxed);
                let _ = woken.recv_timeout(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                false
            }
        };
        if done {
            let Ok(_guard) = spool.lock() else { return };
            sent.store(offset + line.len() as u64, Ordering::Relaxed);
            let _ = write_sent(path, offset + line.len() as u64);
            drop(_guard);
            backoff = Duration::from_millis(100);
        }
    }
}
