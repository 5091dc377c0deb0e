//! Documents and media on a case: reports, evidence, advice, photos, short videos, audio.
//!
//! The bytes of a document never enter the core: adapters stream them to a document store and
//! through a virus scanner, and the core decides what may be kept and who may see it.

pub mod scan;
