//! GIAS establishment files (`ehc-hub import-settings`): any bytes as a whole file, and any bytes
//! as the rows under a proper header row, give settings and line-numbered errors, never a panic.
#![no_main]

use ehc_core::setting::gias::GiasReader;
use libfuzzer_sys::fuzz_target;

const HEADER: &[u8] = b"URN,LA (code),EstablishmentName,TypeOfEstablishment (name),\
EstablishmentStatus (name),PhaseOfEducation (name)\n";

fn read_all(file: &[u8]) {
    let Ok(mut reader) = GiasReader::new(file) else {
        return;
    };
    let mut urns = std::collections::HashSet::new();
    for row in reader.by_ref() {
        if let Ok(setting) = row {
            assert!(urns.insert(setting.urn), "a URN accepted twice");
            assert!(setting.la_code.get() <= 999);
        }
    }
    assert!(reader.bytes_read() <= file.len() as u64);
}

fuzz_target!(|input: (bool, &[u8])| {
    let (under_header, bytes) = input;
    if under_header {
        read_all(&[HEADER, bytes].concat());
    } else {
        read_all(bytes);
    }
});
