//! Black-box HTTP tests of the web journey; the tests themselves are in `tests/`.
