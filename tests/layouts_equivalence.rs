//! The same events written in every layout foothold reads (each shipper's JSON, event XML,
//! JSON arrays and `evtx_dump` output), plain or compressed, give the rows of the KQL; events
//! of other providers with the same ids change nothing.

mod common;

use proptest::prelude::*;

use common::generate::event;
use common::layouts::{LAYOUTS, Layout, Packing, document, pack, record};
use common::reference::{RefEvent, check, kql};
use foothold::hunt::{HuntOptions, Silent, hunt};
use foothold::source::Input;

/// What the event looks like once a shipper layout has carried it: no `file_ext`, and the
/// parent's name taken from its image.
fn as_shipped(event: &RefEvent, layout: Layout) -> RefEvent {
    if layout == Layout::Normalized {
        return event.clone();
    }
    match event.clone() {
        RefEvent::Start {
            ticks,
            computer,
            pid,
            image,
            command_line,
            parent_pid,
            parent_image,
            parent_command_line,
            user,
            ..
        } => RefEvent::Start {
            ticks,
            computer,
            pid,
            image,
            command_line,
            parent_pid,
            parent_name: parent_image.rsplit('\\').next().unwrap_or("").to_string(),
            parent_image,
            parent_command_line,
            user,
        },
        RefEvent::Create {
            ticks,
            computer,
            pid,
            target,
            ..
        } => RefEvent::Create {
            ticks,
            computer,
            pid,
            target,
            ext: None,
        },
        other => other,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    #[test]
    fn every_layout_gives_the_rows_of_the_kql(
        events in prop::collection::vec(event(), 1..60),
        foreign in prop::collection::vec(event(), 0..10),
        files in prop::collection::vec((0..LAYOUTS.len(), 0..3usize), 1..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut inputs = Vec::new();
        let mut shipped = Vec::new();
        for (index, (layout, packing)) in files.iter().enumerate() {
            let layout = LAYOUTS[*layout];
            let packing = [Packing::Plain, Packing::Gzip, Packing::Zstd][*packing];
            let mut records = Vec::new();
            for e in events.iter().skip(index).step_by(files.len()) {
                records.push(record(e, layout, "Microsoft-Windows-Sysmon"));
                shipped.push(as_shipped(e, layout));
            }
            if layout != Layout::Normalized {
                for e in foreign.iter().filter(|e| !matches!(e, RefEvent::Other { .. })) {
                    records.push(record(e, layout, "Microsoft-Windows-Kernel-General"));
                }
            }
            let path = dir.path().join(format!("f{index}.log"));
            std::fs::write(&path, pack(document(&records, layout), packing)).unwrap();
            inputs.push(Input::File(path));
        }
        let outcome = hunt(&HuntOptions::default(), inputs, &mut Silent).unwrap();
        prop_assert_eq!(outcome.stats.rejected_total(), 0);
        let rows: Vec<serde_json::Value> =
            outcome.alerts.iter().map(|a| serde_json::to_value(a).unwrap()).collect();
        if let Err(why) = check(&kql(&shipped), &rows) {
            return Err(TestCaseError::fail(why));
        }
    }
}
