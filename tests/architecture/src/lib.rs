//! Checks of the architecture's rules (ARCHITECTURE.md) that the compiler cannot make; the
//! checks themselves are this crate's integration tests.
