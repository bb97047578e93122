//! The `foothold` command: parses the arguments and wires the library's stages
//! (sources → rule → correlation → summary → sink).

mod cli;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use clap::Parser;

use foothold::hunt::{Observer, hunt};
use foothold::rule::DEFAULT_RULE_TOML;
use foothold::sink::escape::for_terminal;
use foothold::sink::problems::{ProblemLog, SHOWN_BY_DEFAULT};
use foothold::sink::progress::Progress;
use foothold::source::{Input, Problem, discover};
use foothold::stats::Report;
use foothold::stats::Stats;
use foothold::watch::{WatchObserver, watch};

use cli::{Cli, Command, HuntConfig, RuleArgs, WatchConfig};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hunt(args) => args.validate().and_then(run_hunt),
        Command::Watch(args) => args.validate().and_then(run_watch),
        Command::Rule(args) => run_rule(&args),
        Command::Generate(args) => args.validate().and_then(|options| {
            let stdout = io::stdout().lock();
            foothold::generate::Generator::new(options)
                .write(&mut io::BufWriter::with_capacity(1 << 20, stdout))?;
            Ok(ExitCode::SUCCESS)
        }),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            let text = format!("{error:#}");
            eprintln!("foothold: {}", foothold::sink::escape::for_terminal(&text));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

/// Passes rejected records and progress to stderr as they come.
struct StderrObserver {
    log: ProblemLog<io::Stderr>,
    progress: Progress,
    quiet: bool,
}

impl Observer for StderrObserver {
    fn problem(&mut self, problem: &Problem) {
        self.log.report(problem);
    }

    fn progress(&mut self, stats: &Stats, file_bytes: u64) {
        self.progress.update(stats, file_bytes);
    }

    fn note(&mut self, message: &str) {
        if !self.quiet {
            eprintln!("foothold: {message}");
        }
    }
}

fn run_hunt(config: HuntConfig) -> Result<ExitCode> {
    let (inputs, errors) = discover(&config.paths);
    for error in &errors {
        eprintln!(
            "foothold: {}",
            foothold::sink::escape::for_terminal(&error.to_string())
        );
    }
    let shown = if config.quiet { 0 } else { SHOWN_BY_DEFAULT };
    let draw = !config.quiet && io::stderr().is_terminal();
    let mut observer = StderrObserver {
        log: ProblemLog::new(io::stderr(), shown),
        progress: Progress::new(total_bytes(&inputs), draw),
        quiet: config.quiet,
    };
    let outcome = hunt(&config.options, inputs, &mut observer);
    observer.progress.finish();
    let outcome = outcome?;
    observer.log.finish(outcome.stats.rejected_total());

    let width = terminal_size::terminal_size()
        .map(|(w, _)| w.0)
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
        .unwrap_or(160);
    let stdout = io::stdout().lock();
    let mut sink = foothold::sink::for_format(config.format, io::BufWriter::new(stdout), width);
    for alert in &outcome.alerts {
        sink.write(alert)?;
    }
    sink.finish()?;
    drop(sink);

    if config.stats {
        let report = Report {
            stats: &outcome.stats,
            counts: outcome.counts,
            alerts: outcome.alerts.len() as u64,
            elapsed: outcome.elapsed,
        };
        eprintln!("{report}");
    }
    if !errors.is_empty() || outcome.failed_inputs > 0 {
        return Ok(ExitCode::from(2));
    }
    if config.fail_on_alert && !outcome.alerts.is_empty() {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The total size of the input files, when every input is a file.
fn total_bytes(inputs: &[Input]) -> Option<u64> {
    inputs
        .iter()
        .map(|input| match input {
            Input::File(path) | Input::Found(path) => std::fs::metadata(path).ok().map(|m| m.len()),
            Input::Stdin | Input::Memory { .. } => None,
        })
        .sum()
}

/// Passes what a watch reports to stderr.
struct StderrWatchObserver {
    log: ProblemLog<io::Stderr>,
}

impl WatchObserver for StderrWatchObserver {
    fn problem(&mut self, problem: &Problem) {
        self.log.report(problem);
    }

    fn note(&mut self, message: &str) {
        eprintln!("foothold: {}", for_terminal(message));
    }

    fn stats(&mut self, line: &str) {
        eprintln!("foothold: {}", for_terminal(line));
    }
}

fn run_watch(config: WatchConfig) -> Result<ExitCode> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let shown = if config.quiet { 0 } else { SHOWN_BY_DEFAULT };
    let mut observer = StderrWatchObserver {
        log: ProblemLog::new(io::stderr(), shown),
    };
    let outcome = watch(config.options, stop, &mut observer)?;
    observer.log.finish(outcome.stats.rejected_total());
    Ok(ExitCode::SUCCESS)
}

fn run_rule(args: &RuleArgs) -> Result<ExitCode> {
    let mut out = io::stdout().lock();
    match args.load()? {
        None => out.write_all(DEFAULT_RULE_TOML.as_bytes())?,
        Some(rule) => {
            let meta = rule.metadata();
            writeln!(
                out,
                "ok: {} (window {}, bin {}, severity {})",
                meta.title,
                rule.window(),
                rule.bin(),
                meta.severity
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
