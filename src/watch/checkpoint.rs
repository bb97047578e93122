//! The state directory of `watch --state`: one checkpoint of the whole state (the engine, the
//! watermarks, the input positions, the lengths of the output files) written atomically, so
//! that a restart goes on exactly where the checkpoint was.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::follow::FileIdentity;
use crate::engine::EngineSnapshot;
use crate::time::EventTime;

/// The checkpoint format's version.
const VERSION: u32 = 1;

/// Where a followed file had been read to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputPosition {
    pub path: String,
    pub identity: FileIdentity,
    pub offset: u64,
    pub line: u64,
}

/// Everything a restart needs.
#[derive(Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    pub inputs: Vec<InputPosition>,
    pub latest: Vec<(String, EventTime)>,
    pub engine: EngineSnapshot,
    pub output_len: Option<u64>,
    pub late_len: Option<u64>,
    pub spool_len: Option<u64>,
    pub alerts: u64,
    pub late: u64,
}

impl Checkpoint {
    pub fn new(engine: EngineSnapshot) -> Checkpoint {
        Checkpoint {
            version: VERSION,
            inputs: Vec::new(),
            latest: Vec::new(),
            engine,
            output_len: None,
            late_len: None,
            spool_len: None,
            alerts: 0,
            late: 0,
        }
    }
}

/// The state directory.
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// Opens (creating) a state directory.
    pub fn open(dir: &Path) -> io::Result<StateDir> {
        std::fs::create_dir_all(dir)?;
        Ok(StateDir {
            dir: dir.to_path_buf(),
        })
    }

    fn file(&self) -> PathBuf {
        self.dir.join("checkpoint.json")
    }

    /// Where the webhook spools its alerts.
    pub fn spool(&self) -> PathBuf {
        self.dir.join("webhook-spool.ndjson")
    }

    /// The last checkpoint, if there is one.
    pub fn load(&self) -> Result<Option<Checkpoint>, String> {
        let path = self.file();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let checkpoint: Checkpoint = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "{}: not a foothold checkpoint ({e}); move it away to start afresh",
                path.display()
            )
        })?;
        if checkpoint.version != VERSION {
            return Err(format!(
                "{}: checkpoint version {} is not {VERSION}; move it away to start afresh",
                path.display(),
                checkpoint.version
            ));
        }
        Ok(Some(checkpoint))
    }

    /// Writes a checkpoint: to a temporary file, synced, then renamed over the last one, so
    /// that a crash leaves either the old checkpoint or the new one, whole.
    pub fn save(&self, checkpoint: &Checkpoint) -> io::Result<()> {
        let path = self.file();
        let tmp = self.dir.join("checkpoint.json.tmp");
        let mut file = File::create(&tmp)?;
        serde_json::to_writer(&mut file, checkpoint)?;
        file.flush()?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &path)?;
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// Cuts a file back to `len` bytes, when it is longer (output written after the checkpoint,
/// which the restart writes again).
pub fn truncate_to(path: &Path, len: u64) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.len() > len => std::fs::OpenOptions::new()
            .write(true)
            .open(path)?
            .set_len(len),
        _ => Ok(()),
    }
}
