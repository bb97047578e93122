//! Command-line arguments: the raw flags (clap), then validated into the library's options
//! before any work starts.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use foothold::correlate::JoinBy;
use foothold::hunt::HuntOptions;
use foothold::rule::Rule;
use foothold::sink::Format;
use foothold::source::detect::InputFormat;
use foothold::source::units::ReadLimits;

const EXIT_CODES: &str = "\
Exit codes:
  0  success, with or without alerts
  1  alerts were found and --fail-on-alert was given
  2  error: bad arguments or rule file, an unreadable input, or a rejected record under --strict";

const HUNT_EXAMPLES: &str = "\
Examples:
  foothold hunt samples/                      every file under samples/, as a table
  foothold hunt --format json case42/*.ndjson  NDJSON alerts, one per line
  zcat events.ndjson.gz | foothold hunt -     from stdin
  foothold hunt --rule my-rule.toml --stats logs/";

/// foothold: finds processes started by a parent in a user-writable path that stage files
/// in AppData, Temp or Desktop within minutes (Sysmon EID 1 -> EID 11; MITRE T1204, T1105).
#[derive(Debug, Parser)]
#[command(name = "foothold", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the detection over recorded events and print the alert rows.
    #[command(after_help = format!("{HUNT_EXAMPLES}\n\n{EXIT_CODES}"))]
    Hunt(HuntArgs),
    /// Print the built-in rule (the seed's values) as TOML, or check a rule file.
    Rule(RuleArgs),
}

#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Files, directories (read recursively) or `-` for stdin. Default: stdin, when it is
    /// not a terminal.
    pub paths: Vec<PathBuf>,

    /// Output format. Default: table when stdout is a terminal, json otherwise.
    #[arg(short, long, value_enum)]
    pub format: Option<FormatArg>,

    /// Rule file (TOML) to use instead of the built-in seed rule (see `foothold rule`).
    #[arg(short, long, value_name = "FILE")]
    pub rule: Option<PathBuf>,

    /// Record format of the inputs. Default: detected per file from its content.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Auto)]
    pub input_format: InputFormatArg,

    /// Join starts and file creates on the process id (the KQL's way) or on Sysmon's
    /// ProcessGuid (immune to PID reuse; a departure from the KQL).
    #[arg(long, value_enum, default_value_t = CorrelateBy::Pid)]
    pub correlate_by: CorrelateBy,

    /// Print counts to stderr at the end: events per id, rejected records, kept rows,
    /// joined pairs, alerts, time and rate.
    #[arg(long)]
    pub stats: bool,

    /// Fail (exit 2) at the first rejected record instead of reporting and skipping it.
    #[arg(long)]
    pub strict: bool,

    /// Exit with 1 when there are alerts.
    #[arg(long)]
    pub fail_on_alert: bool,

    /// Worker threads (0: one per core).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Show no messages about rejected records (they are still counted).
    #[arg(short, long)]
    pub quiet: bool,

    /// Longest record accepted, in bytes; longer ones are skipped and reported.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_record_bytes: usize,
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Check this rule file and print its summary instead of printing the default.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormatArg {
    Auto,
    Evtx,
    Xml,
    /// JSON objects one per line, in an array, or concatenated.
    Json,
    /// Strictly one JSON object per line.
    Ndjson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CorrelateBy {
    Pid,
    Guid,
}

/// The validated settings of `hunt`.
pub struct HuntConfig {
    pub options: HuntOptions,
    pub paths: Vec<PathBuf>,
    pub format: Format,
    pub stats: bool,
    pub fail_on_alert: bool,
    pub quiet: bool,
}

impl HuntArgs {
    /// Checks the flags and loads the rule; errors here come before any input is read.
    pub fn validate(self) -> Result<HuntConfig> {
        let rule = match &self.rule {
            Some(path) => Rule::from_path(path)?,
            None => Rule::default(),
        };
        let mut paths = self.paths;
        if paths.is_empty() {
            if std::io::stdin().is_terminal() {
                bail!(
                    "no input: give files or directories to read, or pipe events to stdin \
                     (try `foothold hunt samples/`)"
                );
            }
            paths.push(PathBuf::from("-"));
        }
        if self.max_record_bytes == 0 {
            bail!("--max-record-bytes must be at least 1");
        }
        let format = match self.format {
            Some(FormatArg::Table) => Format::Table,
            Some(FormatArg::Json) => Format::Json,
            Some(FormatArg::Csv) => Format::Csv,
            None if std::io::stdout().is_terminal() => Format::Table,
            None => Format::Json,
        };
        Ok(HuntConfig {
            options: HuntOptions {
                rule,
                join_by: match self.correlate_by {
                    CorrelateBy::Pid => JoinBy::ProcessId,
                    CorrelateBy::Guid => JoinBy::ProcessGuid,
                },
                threads: self.threads,
                strict: self.strict,
                input_format: match self.input_format {
                    InputFormatArg::Auto => InputFormat::Auto,
                    InputFormatArg::Evtx => InputFormat::Evtx,
                    InputFormatArg::Xml => InputFormat::Xml,
                    InputFormatArg::Json => InputFormat::Json,
                    InputFormatArg::Ndjson => InputFormat::Ndjson,
                },
                limits: ReadLimits {
                    max_record_bytes: self.max_record_bytes,
                    ..ReadLimits::default()
                },
            },
            paths,
            format,
            stats: self.stats,
            fail_on_alert: self.fail_on_alert,
            quiet: self.quiet,
        })
    }
}

impl RuleArgs {
    /// Loads the rule file to check, if any.
    pub fn load(&self) -> Result<Option<Rule>> {
        self.check
            .as_ref()
            .map(|path| Rule::from_path(path).context("rule check failed"))
            .transpose()
    }
}
