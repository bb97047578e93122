//! Sources: where events come from (files, directories, stdin), in which format, and how
//! each record is decoded into a normalized [`crate::event::Event`].

pub mod detect;
pub mod evtx;
pub mod framing;
pub mod json;
pub mod lines;
pub mod open;
pub mod reject;
pub mod sysmon;
pub mod text;
pub mod units;
pub mod xml;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use reject::{Position, Problem, Reject};

/// Decodes one line of a line-oriented input: a JSON object in any layout, or one `<Event>`
/// element. `None` for a line that holds no record (blank, or the `<?xml?>` declaration and
/// `<Events>` wrapper of an XML file).
pub fn decode_line(line: &[u8]) -> Option<Result<crate::event::Event<'_>, Reject>> {
    let text = line.trim_ascii();
    if text.is_empty() {
        return None;
    }
    if text.starts_with(b"<") {
        if text.starts_with(b"<?xml") || text.starts_with(b"<Events") || text == b"</Events>" {
            return None;
        }
        return Some(xml::decode(text));
    }
    Some(json::decode(text))
}

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input, named `-`.
    Stdin,
    /// A file named on the command line.
    File(PathBuf),
    /// A file found under a directory named on the command line: one that holds no event
    /// format at all (a README beside the logs) is skipped and counted, not rejected.
    Found(PathBuf),
    /// Bytes in memory, with a name for messages (tests, fuzzing, embedding).
    Memory { name: Arc<str>, bytes: Arc<[u8]> },
}

impl Input {
    /// The name used in messages.
    pub fn name(&self) -> Arc<str> {
        match self {
            Input::Stdin => Arc::from("<stdin>"),
            Input::File(path) | Input::Found(path) => Arc::from(path.display().to_string()),
            Input::Memory { name, .. } => Arc::clone(name),
        }
    }

    /// The file's path, for a file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Input::File(path) | Input::Found(path) => Some(path),
            Input::Stdin | Input::Memory { .. } => None,
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A path that could not be turned into inputs.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {why}")]
pub struct DiscoverError {
    pub path: String,
    pub why: String,
}

/// Expands the paths given on the command line: `-` is stdin, a directory is every file
/// under it (recursively, in name order, following no symlinked directories), a file is
/// itself. Paths that cannot be read are returned as errors beside the inputs found.
pub fn discover(paths: &[PathBuf]) -> (Vec<Input>, Vec<DiscoverError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut inputs, &mut errors),
            Ok(_) => inputs.push(Input::File(path.clone())),
            Err(e) => errors.push(DiscoverError {
                path: path.display().to_string(),
                why: e.to_string(),
            }),
        }
    }
    (inputs, errors)
}

fn walk(dir: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<DiscoverError>) {
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                inputs.push(Input::Found(entry.into_path()));
            }
            Ok(_) => {}
            Err(e) => errors.push(DiscoverError {
                path: e
                    .path()
                    .map_or_else(|| dir.display().to_string(), |p| p.display().to_string()),
                why: e.to_string(),
            }),
        }
    }
}
