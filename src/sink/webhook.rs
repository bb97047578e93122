//! Webhook: each alert POSTed as JSON to a URL, with retries and backoff. Alerts go first to a
//! spool file (a queue on disk) that a sender thread works through, so a slow or dead
//! endpoint never stalls ingestion and never loses an alert: they wait on disk, and are sent
//! when it comes back. Delivery is at least once.

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
}

/// The producer side of the webhook.
pub struct Webhook {
    spool: Arc<Mutex<File>>,
    spool_path: PathBuf,
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
        let sender = {
            let spool = Arc::clone(&spool);
            let path = spool_path.clone();
            let stop = Arc::clone(&stop);
            let counters = Arc::clone(&counters);
            std::thread::spawn(move || send_loop(&url, &path, &spool, &woken, &stop, &counters))
        };
        Ok(Webhook {
            spool,
            spool_path,
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
        self.spool_len().saturating_sub(read_sent(&self.spool_path))
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
    pub fn finish(mut self, drain: Duration) {
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

fn send_loop(
    url: &str,
    path: &Path,
    spool: &Mutex<File>,
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
    let mut offset = read_sent(path);
    let mut backoff = Duration::from_millis(100);
    while !stop.load(Ordering::Relaxed) {
        let line = match next_line(path, offset) {
            Ok(Some(line)) => line,
            Ok(None) | Err(_) => {
                compact(path, spool, &mut offset);
                let _ = woken.recv_timeout(Duration::from_millis(200));
                continue;
            }
        };
        let body = &line[..line.len() - 1];
        match agent
            .post(url)
            .header("content-type", "application/json")
            .send(body)
        {
            Ok(_) => {
                offset += line.len() as u64;
                let _ = write_sent(path, offset);
                counters.sent.fetch_add(1, Ordering::Relaxed);
                backoff = Duration::from_millis(100);
            }
            Err(_) => {
                counters.failed_attempts.fetch_add(1, Ordering::Relaxed);
                let _ = woken.recv_timeout(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Empties a spool that has been sent whole, so that it does not grow for ever.
fn compact(path: &Path, spool: &Mutex<File>, offset: &mut u64) {
    let Ok(file) = spool.lock() else { return };
    let len = file.metadata().map_or(0, |m| m.len());
    if len >= COMPACT_BYTES && *offset >= len && file.set_len(0).is_ok() {
        *offset = 0;
        let _ = write_sent(path, 0);
    }
}
