//! Unit tests of the rule's predicates, one per semantic point of the seed's KQL.

use std::borrow::Cow;

use super::*;
use crate::event::Pid;
use crate::time::EventTime;

fn start(parent_path: &str, parent_name: &str) -> ProcessCreate<'static> {
    ProcessCreate {
        time: EventTime::from_ticks(0),
        computer: Cow::Borrowed("HOST"),
        process_id: Pid::Valid(10),
        process_guid: Cow::Borrowed(""),
        process_path: Cow::Borrowed(r"C:\Windows\System32\Cmd.exe"),
        command_line: Cow::Borrowed("cmd /c Whoami"),
        parent_process_id: Pid::Valid(5),
        parent_process_guid: Cow::Borrowed(""),
        parent_process_path: Cow::Owned(parent_path.to_string()),
        parent_process_name: Cow::Owned(parent_name.to_string()),
        parent_command_line: Cow::Borrowed("Evil.exe"),
        user_name: Cow::Borrowed(r"CORP\Bob"),
    }
}

fn create(target: &str, ext: &str) -> FileCreate<'static> {
    FileCreate {
        time: EventTime::from_ticks(0),
        computer: Cow::Borrowed("HOST"),
        process_id: Pid::Valid(10),
        process_guid: Cow::Borrowed(""),
        target_filename: Cow::Owned(target.to_string()),
        file_ext: Cow::Owned(ext.to_string()),
    }
}

fn keeps_parent(path: &str) -> bool {
    Rule::default().parent(&start(path, "evil.exe")).is_some()
}

fn keeps_drop(target: &str) -> bool {
    Rule::default().drop(&create(target, "")).is_some()
}

#[test]
fn user_writable_terms_are_whole_terms() {
    assert!(keeps_parent(r"C:\Users\Bob\Downloads\evil.exe"));
    assert!(keeps_parent(r"C:\ProgramData\evil.exe"));
    assert!(keeps_parent(r"C:\Temp\evil.exe"));
    assert!(keeps_parent(r"C:\tools\my_temp\evil.exe"));
    assert!(!keeps_parent(r"C:\temp2\evil.exe"));
    assert!(!keeps_parent(r"C:\UsersData\evil.exe"));
    assert!(!keeps_parent(r"C:\Program Files\App\app.exe"));
}

#[test]
fn windows_is_excluded_as_a_whole_term_only() {
    assert!(keeps_parent(
        r"C:\Users\a\AppData\Local\Microsoft\WindowsApps\x.exe"
    ));
    assert!(!keeps_parent(
        r"C:\ProgramData\Microsoft\Windows Defender\x.exe"
    ));
    assert!(!keeps_parent(r"C:\Windows\Temp\x.exe"));
    assert!(!keeps_parent(
        r"C:\Users\a\Downloads\nxc-windows-latest\nxc.exe"
    ));
}

#[test]
fn discord_directory_is_excluded_by_substring() {
    assert!(!keeps_parent(
        r"C:\Users\a\AppData\Local\Discord\app-1.0\Discord.exe"
    ));
    assert!(keeps_parent(r"C:\Users\a\AppData\Local\Discordia\x.exe"));
}

#[test]
fn werfault_parent_name_is_excluded_case_insensitively() {
    let rule = Rule::default();
    let path = r"C:\Users\a\AppData\Local\Temp\WerFault.exe";
    assert!(rule.parent(&start(path, "WERFAULT.EXE")).is_none());
    assert!(rule.parent(&start(path, "werfault.exe")).is_none());
    assert!(rule.parent(&start(path, "werfault.exe.bak")).is_some());
}

#[test]
fn allowlist_is_exact_on_the_lowercased_path() {
    assert!(!keeps_parent(
        r"C:\Users\ShawnSpencer\AppData\Local\Microsoft\OneDrive\Update\OneDriveSetup.exe"
    ));
    assert!(keeps_parent(
        r"C:\Users\ShawnSpencer\AppData\Local\Microsoft\OneDrive\Update\OneDriveSetup.exe.old"
    ));
    assert!(keeps_parent(
        r"C:\Users\Gus\AppData\Local\Microsoft\OneDrive\Update\OneDriveSetup.exe"
    ));
}

#[test]
fn empty_parent_path_is_never_a_parent() {
    assert!(!keeps_parent(""));
}

#[test]
fn parent_projection_lowercases_paths_only() {
    let parent = Rule::default()
        .parent(&start(r"C:\Users\Bob\Evil.EXE", "Evil.EXE"))
        .unwrap();
    assert_eq!(&*parent.parent_process_path, r"c:\users\bob\evil.exe");
    assert_eq!(&*parent.process_path, r"c:\windows\system32\cmd.exe");
    assert_eq!(&*parent.parent_process_name, "Evil.EXE");
    assert_eq!(&*parent.command_line, "cmd /c Whoami");
    assert_eq!(&*parent.user_name, r"CORP\Bob");
    assert_eq!(&*parent.computer, "HOST");
}

#[test]
fn drop_directories_are_substrings() {
    assert!(keeps_drop(r"C:\Users\a\AppData\Local\x.dll"));
    assert!(keeps_drop(r"C:\Users\a\AppData\Roaming\x.dll"));
    assert!(keeps_drop(r"C:\Windows\Temp\x.dll"));
    assert!(keeps_drop(r"C:\Users\a\Desktop\x.dll"));
    assert!(!keeps_drop(r"C:\Users\a\Documents\x.dll"));
    assert!(!keeps_drop(r"C:\Users\a\AppData\LocalLow\x.dll"));
    assert!(!keeps_drop(r"C:\temp2\x.dll"));
}

#[test]
fn browser_caches_are_excluded() {
    assert!(!keeps_drop(
        r"C:\Users\a\AppData\Local\Google\Chrome\User Data\Default\Cache\f_0001"
    ));
    assert!(!keeps_drop(
        r"C:\Users\a\AppData\Local\Microsoft\Edge\User Data\Default\Cache\f_0001"
    ));
    assert!(keeps_drop(
        r"C:\Users\a\AppData\Local\Google\Chrome\User Data\Profile 1\Cache\f_0001"
    ));
}

#[test]
fn office_owner_files_are_excluded_by_regex() {
    assert!(!keeps_drop(r"C:\Users\a\Desktop\~$report.docx"));
    assert!(!keeps_drop(r"C:\Users\a\AppData\Local\Temp\~$Book1.XLSX"));
    assert!(keeps_drop(r"C:\Users\a\Desktop\~$.docx"));
    assert!(keeps_drop(r"C:\Users\a\Desktop\~$report.docx.exe"));
    assert!(keeps_drop(r"C:\Users\a\Desktop\report.docx"));
}

#[test]
fn extension_is_derived_only_when_empty() {
    let rule = Rule::default();
    let ext = |target: &str, given: &str| {
        rule.drop(&create(target, given))
            .map(|d| d.file_ext.to_string())
            .unwrap()
    };
    assert_eq!(ext(r"C:\Users\a\Desktop\Payload.EXE", ""), "exe");
    assert_eq!(ext(r"C:\Users\a\Desktop\Payload.EXE", "EXE"), "EXE");
    assert_eq!(ext(r"C:\Users\a\Desktop\noext", ""), "");
    assert_eq!(ext(r"C:\Users\a\Desktop\a.toolongext", ""), "");
    assert_eq!(ext(r"C:\Users\a\Desktop\a.tar.gz", ""), "gz");
    assert_eq!(ext(r"C:\Users\a\Desktop\a.ex_e", ""), "");
}

#[test]
fn drop_projection_lowercases_the_target() {
    let drop = Rule::default()
        .drop(&create(r"C:\Users\A\Desktop\X.DLL", ""))
        .unwrap();
    assert_eq!(&*drop.target_filename, r"c:\users\a\desktop\x.dll");
}

#[test]
fn default_rule_carries_the_seed_constants() {
    let rule = Rule::default();
    assert_eq!(rule.window().to_string(), "3m");
    assert_eq!(rule.bin().to_string(), "10m");
    assert_eq!(rule.max_sample_targets(), 15);
    assert_eq!(rule.max_sample_exts(), 10);
    let ids: Vec<_> = rule
        .metadata()
        .techniques
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(ids, ["T1204", "T1105"]);
    assert_eq!(rule.metadata().severity, "medium");
}

fn error_of(text: &str) -> String {
    match Rule::from_toml(text, "test.toml") {
        Ok(_) => panic!("should not load"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let text = DEFAULT_RULE_TOML.replace("bin = \"10m\"", "bin = \"10m\"\nwindwo = \"5m\"");
    let line = text.lines().position(|l| l.starts_with("windwo")).unwrap() + 1;
    let message = error_of(&text);
    assert!(message.contains("windwo"), "{message}");
    assert!(message.contains(&format!("line {line}")), "{message}");
}

#[test]
fn bad_values_are_named_with_their_line() {
    for (from, to, expect) in [
        (
            "window = \"3m\"",
            "window = \"3 parsecs\"",
            "unknown time unit",
        ),
        ("window = \"3m\"", "window = \"0m\"", "longer than zero"),
        (
            "max_sample_targets = 15",
            "max_sample_targets = 0",
            "max_sample_targets",
        ),
        (
            "extension_regex = '\\.([a-z0-9]{1,8})$'",
            "extension_regex = '\\.[a-z0-9]{1,8}$'",
            "capture group",
        ),
        (
            "owner_file_regex = '\\\\~\\$.+\\.(docx|xlsx|pptx)$'",
            "owner_file_regex = '(unclosed'",
            "bad regex",
        ),
        (
            "'c:\\users\\shawnspencer\\appdata\\local\\discord\\update.exe'",
            "'C:\\Users\\x.exe'",
            "lowercase",
        ),
        (
            "excluded_terms = [\"windows\"]",
            "excluded_terms = [\"\"]",
            "empty string",
        ),
    ] {
        assert!(DEFAULT_RULE_TOML.contains(from), "fixture: {from}");
        let text = DEFAULT_RULE_TOML.replace(from, to);
        let line = text.lines().position(|l| l.contains(to)).unwrap() + 1;
        let message = error_of(&text);
        assert!(message.contains(expect), "{to}: {message}");
        assert!(message.contains(&format!("line {line}")), "{to}: {message}");
    }
}

#[test]
fn a_user_rule_changes_the_predicates() {
    let text = DEFAULT_RULE_TOML
        .replace(
            "excluded_terms = [\"windows\"]",
            "excluded_terms = [\"windows\", \"tools\"]",
        )
        .replace("window = \"3m\"", "window = \"90s\"");
    let rule = Rule::from_toml(&text, "test.toml").unwrap();
    assert_eq!(rule.window(), Span::from_secs(90));
    assert!(
        rule.parent(&start(r"C:\tools\my_temp\x.exe", "x.exe"))
            .is_none()
    );
}
