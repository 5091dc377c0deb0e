//! Upload content sniffing (the type of a file from its first bytes): any bytes give a type or
//! none, never a panic; the answer depends only on the first `SNIFF_BYTES`.
#![no_main]

use ehc_core::document::{SNIFF_BYTES, sniff};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|head: &[u8]| {
    let kind = sniff(head);
    if head.len() > SNIFF_BYTES {
        assert_eq!(sniff(&head[..SNIFF_BYTES]), kind);
    }
});
