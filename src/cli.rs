//! Command-line arguments: the raw flags (clap), then validated into the library's options
//! before any work starts.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use foothold::correlate::JoinBy;
use foothold::generate::{GenLayout, GenOptions};
use foothold::hunt::HuntOptions;
use foothold::rule::Rule;
use foothold::sink::Format;
use foothold::source::Input;
use foothold::source::detect::InputFormat;
use foothold::source::units::ReadLimits;
use foothold::time::Span;
use foothold::watch::WatchOptions;

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

const WATCH_EXAMPLES: &str = "\
Examples:
  tail -F /var/log/sysmon.ndjson | foothold watch          from stdin, NDJSON alerts on stdout
  foothold watch --state /var/lib/foothold --output alerts.ndjson /var/log/sysmon/*.json
  foothold watch --emit first --webhook https://soar.example/hook events.ndjson

Rows are emitted when final: when no drop of theirs can still arrive, by event time. Each
computer's watermark is its latest event time less --allowed-lateness; later events are
counted (and written to --late-file). SIGINT or SIGTERM stops the watch: without --state the
pending rows are emitted first; with --state they are kept in the checkpoint for the restart.";

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
    /// Run the detection live on stdin or followed files, emitting rows as they become final.
    #[command(after_help = format!("{WATCH_EXAMPLES}\n\n{EXIT_CODES}"))]
    Watch(WatchArgs),
    /// Print the built-in rule (the seed's values) as TOML, or check a rule file.
    Rule(RuleArgs),
    /// Write a synthetic Sysmon stream (deterministic from --seed) for benchmarks and demos.
    Generate(GenerateArgs),
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

    /// Parse every record in full, to report any malformed one, even where the rule cannot
    /// use it (normalized records of other event ids are otherwise counted from their id
    /// alone). Implied by --strict.
    #[arg(long)]
    pub validate: bool,

    /// The inputs are not in time order (several recordings of the same hosts, shuffled
    /// exports): hold every kept row from the start instead of reading in a pass bounded by
    /// the window and, at the first event out of order, reading the inputs again. The rows
    /// are the same either way.
    #[arg(long)]
    pub unordered: bool,

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
pub struct WatchArgs {
    /// Files to follow (like `tail -F`: appended lines, rotation, truncation), or `-` for
    /// stdin. Default: stdin.
    pub paths: Vec<PathBuf>,

    /// Rule file (TOML) to use instead of the built-in seed rule.
    #[arg(short, long, value_name = "FILE")]
    pub rule: Option<PathBuf>,

    /// Join on the process id (the KQL's way) or on Sysmon's ProcessGuid.
    #[arg(long, value_enum, default_value_t = CorrelateBy::Pid)]
    pub correlate_by: CorrelateBy,

    /// How far behind its computer's latest event an event may arrive and still count.
    #[arg(long, value_name = "SPAN", default_value = "2m", value_parser = parse_span)]
    pub allowed_lateness: Span,

    /// Emit a computer's pending rows after it has sent nothing for this long (wall clock).
    #[arg(long, value_name = "SPAN", default_value = "1m", value_parser = parse_duration)]
    pub idle_flush: Duration,

    /// `final`: rows when final; `first`: also an early row (`"partial": true`) at the first
    /// drop of each row.
    #[arg(long, value_enum, default_value_t = EmitArg::Final)]
    pub emit: EmitArg,

    /// Append alerts to this file (flushed per alert) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// POST each alert as JSON to this URL (retries with backoff; queued on disk meanwhile).
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,

    /// Append late events (raw lines) to this file.
    #[arg(long, value_name = "FILE")]
    pub late_file: Option<PathBuf>,

    /// Checkpoint the state and input positions in this directory, and resume from it.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// How often to checkpoint (with --state).
    #[arg(long, value_name = "SPAN", default_value = "1s", value_parser = parse_duration)]
    pub checkpoint_interval: Duration,

    /// Print stats to stderr this often: events per second, lag, state size, late events,
    /// alerts.
    #[arg(long, value_name = "SPAN", value_parser = parse_duration)]
    pub stats_interval: Option<Duration>,

    /// How often followed files are checked for new lines.
    #[arg(long, value_name = "SPAN", default_value = "200ms", value_parser = parse_duration)]
    pub poll_interval: Duration,

    /// Show no messages about rejected records.
    #[arg(short, long)]
    pub quiet: bool,

    /// Longest record accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_record_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmitArg {
    Final,
    First,
}

fn parse_span(text: &str) -> Result<Span, String> {
    Span::parse(text)
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let span = Span::parse(text)?;
    Ok(Duration::from_nanos(span.ticks().saturating_mul(100) as u64))
}

/// The validated settings of `watch`.
pub struct WatchConfig {
    pub options: WatchOptions,
    pub quiet: bool,
}

impl WatchArgs {
    /// Checks the flags and loads the rule.
    pub fn validate(self) -> Result<WatchConfig> {
        let rule = match &self.rule {
            Some(path) => Rule::from_path(path)?,
            None => Rule::default(),
        };
        let mut paths = self.paths;
        if paths.is_empty() {
            paths.push(PathBuf::from("-"));
        }
        let inputs: Vec<Input> = paths
            .iter()
            .map(|p| {
                if p.as_os_str() == "-" {
                    Input::Stdin
                } else {
                    Input::File(p.clone())
                }
            })
            .collect();
        if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
            bail!("stdin (`-`) can be read only once");
        }
        let mut options = WatchOptions::new(inputs);
        options.rule = rule;
        options.join_by = match self.correlate_by {
            CorrelateBy::Pid => JoinBy::ProcessId,
            CorrelateBy::Guid => JoinBy::ProcessGuid,
        };
        options.allowed_lateness = self.allowed_lateness;
        options.idle_flush = self.idle_flush;
        options.emit_first = self.emit == EmitArg::First;
        options.output = self.output;
        options.webhook = self.webhook;
        options.late_file = self.late_file;
        options.state_dir = self.state;
        options.checkpoint_interval = self.checkpoint_interval;
        options.stats_interval = self.stats_interval;
        options.poll_interval = self.poll_interval.max(Duration::from_millis(1));
        options.max_record_bytes = self.max_record_bytes.max(1);
        Ok(WatchConfig {
            options,
            quiet: self.quiet,
        })
    }
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many events (true positives add a few more).
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// How many hosts.
    #[arg(long, default_value_t = 200)]
    pub hosts: u32,
    /// The event time the stream spans.
    #[arg(long, value_name = "SPAN", default_value = "1d", value_parser = parse_span)]
    pub span: Span,
    /// The first event's time.
    #[arg(long, value_name = "TIME", default_value = "2024-05-01T00:00:00Z")]
    pub start: String,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The layout to write.
    #[arg(long, value_enum, default_value_t = LayoutArg::Normalized)]
    pub layout: LayoutArg,
    /// True positives per million events.
    #[arg(long, value_name = "PPM", default_value_t = 200)]
    pub true_positives_ppm: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    Normalized,
    Ecs,
    Flat,
}

impl GenerateArgs {
    /// The generator's options.
    pub fn validate(self) -> Result<GenOptions> {
        Ok(GenOptions {
            events: self.events,
            hosts: self.hosts.max(1),
            span: self.span,
            start: foothold::time::EventTime::parse(&self.start)?,
            seed: self.seed,
            layout: match self.layout {
                LayoutArg::Normalized => GenLayout::Normalized,
                LayoutArg::Ecs => GenLayout::Ecs,
                LayoutArg::Flat => GenLayout::Flat,
            },
            true_positive_ppm: self.true_positives_ppm,
        })
    }
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
                validate: self.validate,
                unordered: self.unordered,
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
