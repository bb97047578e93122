//! `foothold generate`: synthetic Sysmon streams for benchmarks and demos, deterministic from a
//! seed. Many hosts; a realistic mix of event ids (most are neither 1 nor 11); browser caches,
//! Office owner files, updaters and self-updating apps in user-writable paths as noise; and a
//! small share of true positives (a download starting a child that stages files in Temp).
//! Written in time order, as the normalized layout or a shipper's (ECS, flat OTRF).

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::time::{EventTime, Span};

/// The layout events are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenLayout {
    Normalized,
    Ecs,
    Flat,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    pub events: u64,
    pub hosts: u32,
    /// The span of event time the stream covers.
    pub span: Span,
    pub start: EventTime,
    pub seed: u64,
    pub layout: GenLayout,
    /// Parts per million of events that begin a true positive (a start and its drops).
    pub true_positive_ppm: u32,
}

impl Default for GenOptions {
    fn default() -> GenOptions {
        GenOptions {
            events: 1_000_000,
            hosts: 200,
            span: Span::from_secs(86_400),
            start: EventTime::parse("2024-05-01T00:00:00Z").unwrap_or_default(),
            seed: 1,
            layout: GenLayout::Normalized,
            true_positive_ppm: 200,
        }
    }
}

/// SplitMix64: a tiny, fast generator whose sequence is fixed by its seed on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// One event in the rule's columns (and the fields the shippers carry besides).
struct GenEvent {
    id: u32,
    time: EventTime,
    host: String,
    pid: u64,
    image: String,
    command_line: String,
    parent_pid: u64,
    parent_image: String,
    parent_command_line: String,
    user: String,
    target: String,
}

const USERS: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];

/// Event ids and their weights, roughly as a busy Sysmon estate logs them.
const MIX: &[(u32, u32)] = &[
    (10, 300),
    (7, 250),
    (3, 100),
    (13, 90),
    (12, 50),
    (11, 80),
    (22, 50),
    (1, 30),
    (5, 30),
    (23, 10),
    (18, 5),
    (17, 5),
];

const SYSTEM_PARENTS: &[&str] = &[
    r"C:\Windows\explorer.exe",
    r"C:\Windows\System32\svchost.exe",
    r"C:\Windows\System32\services.exe",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Windows\System32\cmd.exe",
];

const CHILDREN: &[&str] = &[
    r"C:\Windows\System32\conhost.exe",
    r"C:\Windows\System32\rundll32.exe",
    r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Windows\System32\taskhostw.exe",
];

/// Drops nobody should alert on: browser caches, owner files, system temp, documents.
fn noise_target(rng: &mut Rng, user: &str) -> String {
    let n = rng.below(100_000);
    match rng.below(6) {
        0 => format!(
            r"C:\Users\{user}\AppData\Local\Google\Chrome\User Data\Default\Cache\Cache_Data\f_{n:06x}"
        ),
        1 => format!(
            r"C:\Users\{user}\AppData\Local\Microsoft\Edge\User Data\Default\Cache\Cache_Data\f_{n:06x}"
        ),
        2 => format!(r"C:\Users\{user}\Documents\~$report{n}.docx"),
        3 => format!(r"C:\Windows\Temp\svc{n}.tmp"),
        4 => format!(r"C:\Users\{user}\AppData\Local\Temp\~DF{n:04X}.TMP"),
        _ => format!(r"C:\ProgramData\Microsoft\Windows\WER\ReportQueue\r{n}.wer"),
    }
}

/// Self-updating applications in user-writable paths (the seed's allowlist covers some).
fn updater(rng: &mut Rng, user: &str) -> (String, String) {
    match rng.below(3) {
        0 => (
            format!(r"C:\Users\{user}\AppData\Local\Discord\Update.exe"),
            format!(r"C:\Users\{user}\AppData\Local\Discord\app-1.0.9\Discord.exe"),
        ),
        1 => (
            format!(r"C:\Users\{user}\AppData\Local\Microsoft\OneDrive\Update\OneDriveSetup.exe"),
            format!(r"C:\Users\{user}\AppData\Local\Microsoft\OneDrive\OneDrive.exe"),
        ),
        _ => (
            format!(r"C:\Users\{user}\AppData\Local\Microsoft\Teams\Update.exe"),
            format!(r"C:\Users\{user}\AppData\Local\Microsoft\Teams\current\Teams.exe"),
        ),
    }
}

/// Writes a stream.
pub struct Generator {
    options: GenOptions,
    rng: Rng,
    /// Events of true positives still to come, by time.
    pending: std::collections::BinaryHeap<std::cmp::Reverse<(i64, u64)>>,
    pending_events: std::collections::HashMap<u64, GenEvent>,
    next_pending: u64,
    next_pid: Vec<u64>,
}

impl Generator {
    pub fn new(options: GenOptions) -> Generator {
        let hosts = options.hosts.max(1) as usize;
        let seed = options.seed;
        Generator {
            options,
            rng: Rng(seed),
            pending: std::collections::BinaryHeap::new(),
            pending_events: std::collections::HashMap::new(),
            next_pending: 0,
            next_pid: vec![1000; hosts],
        }
    }

    fn host(&self, index: u64) -> String {
        format!("WS-{index:04}.corp.example")
    }

    fn pid(&mut self, host: usize) -> u64 {
        // PIDs are reused: they cycle through a small range, as Windows' do.
        self.next_pid[host] = 1000 + (self.next_pid[host] + 4 - 1000) % 60_000;
        self.next_pid[host]
    }

    fn event_id(&mut self) -> u32 {
        let total: u32 = MIX.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.below(u64::from(total)) as u32;
        for (id, weight) in MIX {
            if roll < *weight {
                return *id;
            }
            roll -= weight;
        }
        10
    }

    /// Plans a true positive starting at `time` on `host`: a start and a few drops within the
    /// window, queued to come out in time order.
    fn plan_true_positive(&mut self, time: EventTime, host: usize, user: &str) {
        let pid = self.pid(host);
        let n = self.rng.below(1_000_000);
        let parent = format!(r"C:\Users\{user}\Downloads\invoice_{n}.exe");
        let start = GenEvent {
            id: 1,
            time,
            host: self.host(host as u64),
            pid,
            image: r"C:\Windows\System32\rundll32.exe".to_string(),
            command_line: format!(r"rundll32.exe C:\Users\{user}\AppData\Local\Temp\{n}.dll,Start"),
            parent_pid: self.pid(host),
            parent_image: parent.clone(),
            parent_command_line: format!("\"{parent}\""),
            user: format!(r"CORP\{user}"),
            target: String::new(),
        };
        self.queue(start);
        for k in 0..1 + self.rng.below(4) {
            let delay = Span::from_secs(1 + self.rng.below(170) as i64);
            let drop = GenEvent {
                id: 11,
                time: time.saturating_add(delay),
                host: self.host(host as u64),
                pid,
                image: r"C:\Windows\System32\rundll32.exe".to_string(),
                command_line: String::new(),
                parent_pid: 0,
                parent_image: String::new(),
                parent_command_line: String::new(),
                user: format!(r"CORP\{user}"),
                target: format!(r"C:\Users\{user}\AppData\Local\Temp\stage{n}_{k}.dll"),
            };
            self.queue(drop);
        }
    }

    fn queue(&mut self, event: GenEvent) {
        let key = self.next_pending;
        self.next_pending += 1;
        self.pending
            .push(std::cmp::Reverse((event.time.ticks(), key)));
        self.pending_events.insert(key, event);
    }

    /// A background event at `time`.
    fn background(&mut self, time: EventTime) -> GenEvent {
        let host = self.rng.below(u64::from(self.options.hosts.max(1))) as usize;
        let user = *self.rng.pick(USERS);
        let id = self.event_id();
        let pid = self.pid(host);
        let mut event = GenEvent {
            id,
            time,
            host: self.host(host as u64),
            pid,
            image: self.rng.pick(CHILDREN).to_string(),
            command_line: String::new(),
            parent_pid: 0,
            parent_image: String::new(),
            parent_command_line: String::new(),
            user: format!(r"CORP\{user}"),
            target: String::new(),
        };
        match id {
            1 => {
                let (parent, child) = if self.rng.below(10) == 0 {
                    updater(&mut self.rng, user)
                } else {
                    (
                        self.rng.pick(SYSTEM_PARENTS).to_string(),
                        event.image.clone(),
                    )
                };
                event.parent_pid = self.pid(host);
                event.command_line = format!(
                    "\"{child}\" --type=renderer --field-trial-handle={}",
                    self.rng.below(1 << 20)
                );
                event.image = child;
                event.parent_command_line = format!("\"{parent}\"");
                event.parent_image = parent;
            }
            11 => event.target = noise_target(&mut self.rng, user),
            _ => {}
        }
        if id == 1 && u64::from(self.options.true_positive_ppm) > self.rng.below(1_000_000) / 30 {
            self.plan_true_positive(time, host, user);
        }
        event
    }

    /// Writes the whole stream.
    pub fn write(&mut self, out: &mut impl Write) -> io::Result<()> {
        let count = self.options.events;
        let step = self.options.span.ticks() / count.max(1) as i64;
        let mut line = Vec::with_capacity(1024);
        for i in 0..count {
            let time = EventTime::from_ticks(self.options.start.ticks() + step * i as i64);
            // True-positive events due before this time come first.
            while let Some(std::cmp::Reverse((due, key))) = self.pending.peek().copied() {
                if due > time.ticks() {
                    break;
                }
                self.pending.pop();
                if let Some(event) = self.pending_events.remove(&key) {
                    self.render(&event, &mut line);
                    out.write_all(&line)?;
                }
            }
            let event = self.background(time);
            self.render(&event, &mut line);
            out.write_all(&line)?;
        }
        while let Some(std::cmp::Reverse((_, key))) = self.pending.pop() {
            if let Some(event) = self.pending_events.remove(&key) {
                self.render(&event, &mut line);
                out.write_all(&line)?;
            }
        }
        out.flush()
    }

    fn render(&self, e: &GenEvent, line: &mut Vec<u8>) {
        line.clear();
        let value = match self.options.layout {
            GenLayout::Normalized => normalized(e),
            GenLayout::Ecs => ecs(e),
            GenLayout::Flat => flat(e),
        };
        // Serializing a Value never fails.
        let _ = serde_json::to_writer(&mut *line, &value);
        line.push(b'\n');
    }
}

fn normalized(e: &GenEvent) -> Value {
    let mut v = json!({
        "event_id": e.id,
        "time_generated": e.time.to_string(),
        "computer": e.host,
        "process_id": e.pid,
    });
    match e.id {
        1 => {
            v["process_path"] = json!(e.image);
            v["command_line"] = json!(e.command_line);
            v["parent_process_id"] = json!(e.parent_pid);
            v["parent_process_path"] = json!(e.parent_image);
            v["parent_process_name"] = json!(crate::event::image_name(&e.parent_image));
            v["parent_command_line"] = json!(e.parent_command_line);
            v["user_name"] = json!(e.user);
        }
        11 => v["target_filename"] = json!(e.target),
        _ => {
            v["process_path"] = json!(e.image);
            v["user_name"] = json!(e.user);
        }
    }
    v
}

/// The Sysmon `EventData` of an event.
fn event_data(e: &GenEvent) -> Value {
    let utc = e
        .time
        .to_string()
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_string();
    let guid = format!(
        "{{5770385f-{:04x}-{:04x}-0000-0010{:08x}}}",
        e.pid & 0xffff,
        e.parent_pid & 0xffff,
        e.time.ticks() as u32
    );
    let mut data = json!({
        "RuleName": "-",
        "UtcTime": utc,
        "ProcessGuid": guid,
        "ProcessId": e.pid.to_string(),
        "Image": e.image,
        "User": e.user,
    });
    match e.id {
        1 => {
            data["CommandLine"] = json!(e.command_line);
            data["CurrentDirectory"] = json!(r"C:\Windows\system32\");
            data["IntegrityLevel"] = json!("Medium");
            data["Hashes"] =
                json!("SHA256=6B3B0E2C4F8D4B8E1E0C0F7A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E");
            data["ParentProcessGuid"] = json!("{5770385f-0000-0000-0000-001000000000}");
            data["ParentProcessId"] = json!(e.parent_pid.to_string());
            data["ParentImage"] = json!(e.parent_image);
            data["ParentCommandLine"] = json!(e.parent_command_line);
        }
        11 => {
            data["TargetFilename"] = json!(e.target);
            data["CreationUtcTime"] = data["UtcTime"].clone();
        }
        10 => {
            data["SourceProcessGUID"] = data["ProcessGuid"].clone();
            data["TargetImage"] = json!(r"C:\Windows\system32\lsass.exe");
            data["GrantedAccess"] = json!("0x1010");
            data["CallTrace"] = json!(
                r"C:\Windows\SYSTEM32\ntdll.dll+9d4c4|C:\Windows\System32\KERNELBASE.dll+2c13e|UNKNOWN(00000000)"
            );
        }
        7 => {
            data["ImageLoaded"] = json!(r"C:\Windows\System32\kernel32.dll");
            data["Signed"] = json!("true");
        }
        3 => {
            data["Protocol"] = json!("tcp");
            data["DestinationIp"] = json!("10.0.0.1");
            data["DestinationPort"] = json!("443");
        }
        _ => {}
    }
    data
}

fn ecs(e: &GenEvent) -> Value {
    json!({
        "@timestamp": e.time.saturating_add(Span::from_secs(3)).to_string(),
        "host": {"name": e.host.to_lowercase()},
        "agent": {"type": "winlogbeat", "version": "8.12.0"},
        "event": {"code": e.id.to_string(), "kind": "event", "provider": "Microsoft-Windows-Sysmon"},
        "winlog": {
            "channel": "Microsoft-Windows-Sysmon/Operational",
            "provider_name": "Microsoft-Windows-Sysmon",
            "computer_name": e.host,
            "event_id": e.id.to_string(),
            "process": {"pid": 2904, "thread": {"id": 3712}},
            "record_id": e.time.ticks() as u64 / 10_000,
            "event_data": event_data(e),
        },
    })
}

fn flat(e: &GenEvent) -> Value {
    let mut v = event_data(e);
    v["EventID"] = json!(e.id);
    v["SourceName"] = json!("Microsoft-Windows-Sysmon");
    v["Channel"] = json!("Microsoft-Windows-Sysmon/Operational");
    v["Hostname"] = json!(e.host);
    v["ExecutionProcessID"] = json!(2904);
    v["TimeCreated"] = json!(e.time.saturating_add(Span::from_secs(3)).to_string());
    v["@timestamp"] = json!(e.time.saturating_add(Span::from_secs(3600 * 4)).to_string());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(options: GenOptions) -> String {
        let mut out = Vec::new();
        Generator::new(options).write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_stream() {
        let options = GenOptions {
            events: 2000,
            ..GenOptions::default()
        };
        assert_eq!(generate(options.clone()), generate(options.clone()));
        let other = GenOptions {
            seed: 2,
            ..options.clone()
        };
        assert_ne!(generate(options), generate(other));
    }

    #[test]
    fn every_layout_reads_back_as_the_same_events() {
        let base = GenOptions {
            events: 3000,
            true_positive_ppm: 20_000,
            ..GenOptions::default()
        };
        let mut ids = Vec::new();
        for layout in [GenLayout::Normalized, GenLayout::Ecs, GenLayout::Flat] {
            let text = generate(GenOptions {
                layout,
                ..base.clone()
            });
            let mut counts = std::collections::BTreeMap::new();
            for line in text.lines() {
                match crate::source::json::decode(line.as_bytes()) {
                    Ok(crate::event::Event::ProcessCreate(_)) => *counts.entry(1).or_insert(0) += 1,
                    Ok(crate::event::Event::FileCreate(_)) => *counts.entry(11).or_insert(0) += 1,
                    Ok(crate::event::Event::Other { event_id }) => {
                        *counts.entry(event_id).or_insert(0) += 1
                    }
                    other => panic!("{layout:?}: {other:?} from {line}"),
                }
            }
            ids.push(counts);
        }
        assert_eq!(ids[0], ids[1]);
        assert_eq!(ids[0], ids[2]);
        let total: u64 = ids[0].values().sum();
        assert!(
            ids[0][&1] + ids[0][&11] < total / 4,
            "most events are neither 1 nor 11"
        );
    }
}
