//! A streaming parser of *Get Information about Schools* (GIAS) establishment files: the CSV
//! that GIAS's *Download* page gives as `edubasealldata<date>.csv` (one header row, then one
//! row per establishment, about 50,000 rows and 130 columns).
//!
//! Pure: [`GiasReader`] reads from whatever [`std::io::Read`] it is given (a file, a byte
//! slice), one record at a time with the `csv` crate, and never opens anything. It checks the
//! header row first ([`GiasReader::new`]): the columns of [`REQUIRED_COLUMNS`] must be there,
//! in any order and letter case; every other column is ignored. Then each row comes out as an
//! [`EducationSetting`] or a [`GiasRowError`] that says, in plain English, on which line of
//! the file and why. A bad row does not stop the reader, so a caller can report every one.
//!
//! GIAS's downloads are Windows-1252 text, not UTF-8: a name with an accent (é is byte 0xE9
//! there) is refused with the `iconv` command that converts the file.

use std::collections::HashMap;
use std::io::Read;

use super::{EducationSetting, LaCode, SettingStatus, Urn};

/// GIAS's column of the URN.
pub const URN: &str = "URN";
/// GIAS's column of the LA's three-digit code.
pub const LA_CODE: &str = "LA (code)";
/// GIAS's column of the setting's name.
pub const NAME: &str = "EstablishmentName";
/// GIAS's column of the kind of establishment, in words.
pub const KIND: &str = "TypeOfEstablishment (name)";
/// GIAS's column of the status, in words.
pub const STATUS: &str = "EstablishmentStatus (name)";
/// GIAS's column of the phase of education, in words.
pub const PHASE: &str = "PhaseOfEducation (name)";

/// The columns an establishment file must have (their header names, as GIAS spells them;
/// matched ignoring letter case and surrounding white space).
pub const REQUIRED_COLUMNS: [&str; 6] = [URN, LA_CODE, NAME, KIND, STATUS, PHASE];

/// What to do with a file that is not UTF-8.
pub const ICONV_HINT: &str = "GIAS downloads are Windows-1252: convert the file with \
                              `iconv -f WINDOWS-1252 -t UTF-8`";

/// The longest part of a bad value quoted back in an error, in characters.
const QUOTE_CHARS: usize = 40;

/// Why the header row (line 1) was refused; no row was read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GiasHeaderError {
    /// The file has no rows at all (0 bytes, or only blank lines).
    #[error(
        "The file is empty: a GIAS establishment file starts with a header row naming its \
         columns (URN, LA (code), EstablishmentName, …)"
    )]
    NoHeader,
    /// The header row is not UTF-8 text.
    #[error("Line 1 (the header row) is not UTF-8 text; {ICONV_HINT}")]
    NotUtf8,
    /// Required columns are missing (their GIAS names, in [`REQUIRED_COLUMNS`] order).
    #[error(
        "The file is not a GIAS establishment file: its header row (line 1) has no {} \
         column. Use GIAS's establishment download (edubasealldata….csv)",
        quoted_list(.0)
    )]
    MissingColumns(Vec<String>),
    /// The reader failed (an I/O error; its description).
    #[error("The file could not be read: {0}")]
    Unreadable(String),
}

fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("“{n}”")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Why one row was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Line {line}: {reason}")]
pub struct GiasRowError {
    /// The 1-based line of the file where the row starts (the header row is line 1; a quoted
    /// field may hold line breaks, so a row can span lines). Lines are counted by line feeds
    /// (LF or CRLF line ends).
    pub line: u64,
    /// Every problem of the row, in plain English, separated by "; ".
    pub reason: String,
}

/// Column positions in the header row.
#[derive(Debug, Clone, Copy)]
struct Columns {
    urn: usize,
    la_code: usize,
    name: usize,
    kind: usize,
    status: usize,
    phase: usize,
}

/// The rows of a GIAS establishment file, read one at a time.
///
/// An iterator of `Result<EducationSetting, GiasRowError>`, in file order. It ends after the
/// last row, or after the first read failure (reported as a [`GiasRowError`] at the line
/// reached). A URN seen on an earlier row is a row error too, so a file never sets one setting
/// twice.
pub struct GiasReader<R> {
    csv: csv::Reader<R>,
    columns: Columns,
    width: usize,
    record: csv::ByteRecord,
    seen: HashMap<Urn, u64>,
    finished: bool,
}

impl<R: Read> GiasReader<R> {
    /// Reads and checks the header row of `reader`.
    ///
    /// # Errors
    /// [`GiasHeaderError`]: no header row, a header that is not UTF-8, missing
    /// [`REQUIRED_COLUMNS`] (all of them named), or a read failure.
    pub fn new(reader: R) -> Result<Self, GiasHeaderError> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        let mut header = csv::ByteRecord::new();
        match csv.read_byte_record(&mut header) {
            Ok(true) => {}
            Ok(false) => return Err(GiasHeaderError::NoHeader),
            Err(e) => return Err(GiasHeaderError::Unreadable(e.to_string())),
        }
        let mut names = Vec::with_capacity(header.len());
        for field in &header {
            let name = std::str::from_utf8(field).map_err(|_| GiasHeaderError::NotUtf8)?;
            names.push(
                name.trim_start_matches('\u{feff}')
                    .trim()
                    .to_ascii_lowercase(),
            );
        }
        let position = |column: &str| {
            let wanted = column.to_ascii_lowercase();
            names.iter().position(|n| *n == wanted)
        };
        let found: Vec<Option<usize>> = REQUIRED_COLUMNS.iter().map(|c| position(c)).collect();
        let missing: Vec<String> = REQUIRED_COLUMNS
            .iter()
            .zip(&found)
            .filter(|(_, at)| at.is_none())
            .map(|(name, _)| (*name).to_owned())
            .collect();
        let [
            Some(urn),
            Some(la_code),
            Some(name),
            Some(kind),
            Some(status),
            Some(phase),
        ] = found[..]
        else {
            return Err(GiasHeaderError::MissingColumns(missing));
        };
        Ok(Self {
            csv,
            columns: Columns {
                urn,
                la_code,
                name,
                kind,
                status,
                phase,
            },
            width: header.len(),
            record: csv::ByteRecord::new(),
            seen: HashMap::new(),
            finished: false,
        })
    }

    /// How many bytes of the file have been parsed so far (for a progress bar: it reaches the
    /// file's size at the end).
    pub fn bytes_read(&self) -> u64 {
        self.csv.position().byte()
    }

    /// The row just read.
    fn row(&mut self) -> Result<EducationSetting, GiasRowError> {
        let line = self.record.position().map_or(0, csv::Position::line);
        let refuse = |reason: String| Err(GiasRowError { line, reason });
        if self.record.len() != self.width {
            let fields = match self.record.len() {
                1 => "1 field".to_owned(),
                n => format!("{n} fields"),
            };
            return refuse(format!(
                "it has {fields} but the header row has {}: a value with a comma in it must be \
                 in double quotes",
                self.width
            ));
        }
        if self
            .record
            .iter()
            .any(|field| std::str::from_utf8(field).is_err())
        {
            return refuse(format!("this line is not UTF-8 text; {ICONV_HINT}"));
        }
        let text = |i: usize| {
            self.record
                .get(i)
                .and_then(|f| std::str::from_utf8(f).ok())
                .unwrap_or_default()
                .trim()
        };
        let c = self.columns;
        let mut problems = Vec::new();

        let urn_text = text(c.urn);
        let urn = match Urn::parse(urn_text) {
            Ok(urn) => Some(urn),
            Err(_) if urn_text.is_empty() => {
                problems.push(format!("it has no {URN}"));
                None
            }
            Err(_) => {
                problems.push(format!(
                    "the {URN} {} is not a URN (6 digits, 100000 to 999999)",
                    quote(urn_text)
                ));
                None
            }
        };
        if let Some(urn) = urn
            && let Some(first) = self.seen.get(&urn)
        {
            problems.push(format!("{URN} {urn} is already on line {first}"));
        }
        let name = text(c.name);
        if name.is_empty() {
            problems.push(format!("it has no {NAME}"));
        }
        let la_text = text(c.la_code);
        let la_code = LaCode::parse(la_text)
            .map_err(|_| {
                problems.push(format!("the {LA_CODE} {} is not 3 digits", quote(la_text)));
            })
            .ok();
        let status_text = text(c.status);
        let status = SettingStatus::from_gias(status_text);
        if status.is_none() {
            let known: Vec<&str> = SettingStatus::ALL.iter().map(|s| s.gias_name()).collect();
            problems.push(format!(
                "the {STATUS} {} is not one of GIAS's: {}",
                quote(status_text),
                known.join("; ")
            ));
        }
        match (urn, la_code, status) {
            (Some(urn), Some(la_code), Some(status)) if problems.is_empty() => {
                let setting = EducationSetting {
                    urn,
                    name: name.to_owned(),
                    kind: text(c.kind).to_owned(),
                    phase: text(c.phase).to_owned(),
                    la_code,
                    status,
                };
                self.seen.insert(urn, line);
                Ok(setting)
            }
            _ => refuse(problems.join("; ")),
        }
    }
}

/// A value quoted back in an error: at most [`QUOTE_CHARS`] characters, control characters
/// escaped.
fn quote(value: &str) -> String {
    let mut short: String = value.chars().take(QUOTE_CHARS).collect();
    if short.len() < value.len() {
        short.push('…');
    }
    format!("{short:?}")
}

impl<R: Read> Iterator for GiasReader<R> {
    type Item = Result<EducationSetting, GiasRowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.csv.read_byte_record(&mut self.record) {
            Ok(true) => Some(self.row()),
            Ok(false) => {
                self.finished = true;
                None
            }
            Err(e) => {
                self.finished = true;
                Some(Err(GiasRowError {
                    line: self.csv.position().line(),
                    reason: format!("the file could not be read from here on: {e}"),
                }))
            }
        }
    }
}

impl<R: Read> std::iter::FusedIterator for GiasReader<R> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SETTINGS: &[u8] = include_bytes!("../../../../tests/fixtures/gias/settings.csv");
    const HEADER: &str = "URN,LA (code),LA (name),EstablishmentName,TypeOfEstablishment (name),\
                          EstablishmentStatus (name),PhaseOfEducation (name),Postcode\n";

    fn rows(bytes: &[u8]) -> Vec<Result<EducationSetting, GiasRowError>> {
        GiasReader::new(bytes).unwrap().collect()
    }

    fn errors(bytes: &[u8]) -> Vec<GiasRowError> {
        rows(bytes).into_iter().filter_map(Result::err).collect()
    }

    fn one_row(row: &str) -> Result<EducationSetting, GiasRowError> {
        let file = format!("{HEADER}{row}\n");
        let mut all = rows(file.as_bytes());
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn the_fixture_reads_as_twelve_settings_with_every_field() {
        let settings: Vec<EducationSetting> = rows(SETTINGS)
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(settings.len(), 12);
        assert_eq!(
            settings[0],
            EducationSetting {
                urn: Urn::parse("100001").unwrap(),
                name: "Anytown Primary School".into(),
                kind: "Community school".into(),
                phase: "Primary".into(),
                la_code: LaCode::parse("999").unwrap(),
                status: SettingStatus::Open,
            }
        );
        let urns: Vec<u32> = settings.iter().map(|s| s.urn.get()).collect();
        assert_eq!(urns, (100_001..=100_012).collect::<Vec<_>>());
        for status in SettingStatus::ALL {
            assert!(
                settings.iter().any(|s| s.status == status),
                "the fixture has no {status} setting"
            );
        }
    }

    #[test]
    fn columns_are_found_in_any_order_and_case_and_extra_ones_are_ignored() {
        let file = "Extra,phaseofeducation (NAME), EstablishmentStatus (name) ,\u{feff}x,\
                    EstablishmentName,LA (code),TypeOfEstablishment (name),urn\n\
                    ignored,Secondary,Closed,y,Harbour Academy,999,Academy converter,123456\n";
        let setting = rows(file.as_bytes()).remove(0).unwrap();
        assert_eq!(setting.urn.get(), 123_456);
        assert_eq!(setting.name, "Harbour Academy");
        assert_eq!(setting.kind, "Academy converter");
        assert_eq!(setting.phase, "Secondary");
        assert_eq!(setting.status, SettingStatus::Closed);
    }

    #[test]
    fn a_byte_order_mark_before_the_first_column_is_ignored() {
        let file = format!(
            "\u{feff}{HEADER}100001,999,Anytown,Elm School,Community school,Open,Primary,AT1 1AA\n"
        );
        assert_eq!(rows(file.as_bytes()).remove(0).unwrap().name, "Elm School");
    }

    #[test]
    fn missing_columns_are_all_named() {
        let err = GiasReader::new(&b"URN,EstablishmentName,Postcode\n100001,Elm,AT1 1AA\n"[..])
            .err()
            .unwrap();
        assert_eq!(
            err,
            GiasHeaderError::MissingColumns(vec![
                LA_CODE.into(),
                KIND.into(),
                STATUS.into(),
                PHASE.into()
            ])
        );
        let message = err.to_string();
        assert!(
            message.contains("“LA (code)”, “TypeOfEstablishment (name)”, “EstablishmentStatus (name)” or “PhaseOfEducation (name)”"),
            "{message}"
        );
    }

    #[test]
    fn an_empty_file_and_a_header_that_is_not_utf8_are_refused() {
        assert_eq!(
            GiasReader::new(&b""[..]).err(),
            Some(GiasHeaderError::NoHeader)
        );
        assert_eq!(
            GiasReader::new(&b"\n\n"[..]).err(),
            Some(GiasHeaderError::NoHeader)
        );
        let err = GiasReader::new(&b"URN,Establishment\xe9Name\n"[..])
            .err()
            .unwrap();
        assert_eq!(err, GiasHeaderError::NotUtf8);
        assert!(err.to_string().contains("iconv -f WINDOWS-1252 -t UTF-8"));
    }

    #[test]
    fn a_header_only_file_has_no_rows() {
        assert!(rows(HEADER.as_bytes()).is_empty());
    }

    #[test]
    fn each_bad_value_is_named_with_its_line() {
        let cases = [
            (
                "10000A,999,Anytown,Elm,Community school,Open,Primary,X",
                "the URN \"10000A\" is not a URN",
            ),
            (
                "012345,999,Anytown,Elm,Community school,Open,Primary,X",
                "\"012345\" is not a URN",
            ),
            (
                ",999,Anytown,Elm,Community school,Open,Primary,X",
                "it has no URN",
            ),
            (
                "100001,999,Anytown,  ,Community school,Open,Primary,X",
                "it has no EstablishmentName",
            ),
            (
                "100001,99,Anytown,Elm,Community school,Open,Primary,X",
                "the LA (code) \"99\" is not 3 digits",
            ),
            (
                "100001,999,Anytown,Elm,Community school,Opened,Primary,X",
                "the EstablishmentStatus (name) \"Opened\" is not one of GIAS's: Open; Closed; Open, but proposed to close; Proposed to open",
            ),
            (
                "100001,999,Anytown,Elm,Community school,Open,Primary",
                "it has 7 fields but the header row has 8",
            ),
            (
                "100001,999,Anytown,Elm,Community school,Open,Primary,X,Y",
                "it has 9 fields but the header row has 8",
            ),
        ];
        for (row, says) in cases {
            let err = one_row(row).unwrap_err();
            assert_eq!(err.line, 2, "{row}");
            assert!(err.reason.contains(says), "{row}: {}", err.reason);
            assert!(err.to_string().starts_with("Line 2: "), "{err}");
        }
    }

    #[test]
    fn every_problem_of_a_row_is_reported_at_once() {
        let err = one_row("12,1,Anytown,,Community school,Shut,Primary,X").unwrap_err();
        for says in [
            "\"12\" is not a URN",
            "no EstablishmentName",
            "\"1\" is not 3 digits",
            "\"Shut\"",
        ] {
            assert!(err.reason.contains(says), "{says}: {}", err.reason);
        }
    }

    #[test]
    fn a_row_that_is_not_utf8_says_how_to_convert_the_file() {
        let mut file = HEADER.as_bytes().to_vec();
        file.extend_from_slice(
            b"100001,999,Anytown,St Ren\xe9e's School,Community school,Open,Primary,X\n",
        );
        file.extend_from_slice(b"100002,999,Anytown,Elm School,Community school,Open,Primary,X\n");
        let all = rows(&file);
        let err = all[0].as_ref().unwrap_err();
        assert_eq!(
            err.to_string(),
            "Line 2: this line is not UTF-8 text; GIAS downloads are Windows-1252: convert the \
             file with `iconv -f WINDOWS-1252 -t UTF-8`"
        );
        assert_eq!(
            all[1].as_ref().unwrap().name,
            "Elm School",
            "reading goes on"
        );
    }

    #[test]
    fn a_quoted_field_may_hold_commas_and_line_breaks_and_lines_are_counted_through_it() {
        let file = format!(
            "{HEADER}100001,999,Anytown,\"Elm School, Upper\nSite\",Community school,Open,Primary,X\n\
             1,999,Anytown,Oak,Community school,Open,Primary,X\n"
        );
        let all = rows(file.as_bytes());
        assert_eq!(all[0].as_ref().unwrap().name, "Elm School, Upper\nSite");
        assert_eq!(all[1].as_ref().unwrap_err().line, 4);
    }

    #[test]
    fn a_urn_twice_in_one_file_is_refused_on_its_second_line() {
        let file = format!(
            "{HEADER}100001,999,Anytown,Elm,Community school,Open,Primary,X\n\
             100002,999,Anytown,Oak,Community school,Open,Primary,X\n\
             100001,999,Anytown,Ash,Community school,Open,Primary,X\n"
        );
        let errs = errors(file.as_bytes());
        assert_eq!(
            errs,
            vec![GiasRowError {
                line: 4,
                reason: "URN 100001 is already on line 2".into()
            }]
        );
    }

    #[test]
    fn a_long_bad_value_is_shortened_in_the_message() {
        let long = "9".repeat(500);
        let err = one_row(&format!(
            "{long},999,Anytown,Elm,Community school,Open,Primary,X"
        ))
        .unwrap_err();
        assert!(err.reason.len() < 200, "{}", err.reason);
        assert!(err.reason.contains('…'));
    }

    #[test]
    fn bytes_read_reaches_the_size_of_the_file() {
        let mut reader = GiasReader::new(SETTINGS).unwrap();
        let first = reader.bytes_read();
        assert!(first > 0 && first < SETTINGS.len() as u64);
        for row in reader.by_ref() {
            row.unwrap();
        }
        assert_eq!(reader.bytes_read(), SETTINGS.len() as u64);
        assert!(reader.next().is_none(), "fused");
    }

    /// A reader that fails after `ok` bytes.
    struct Failing<'a> {
        data: &'a [u8],
        ok: usize,
    }
    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.ok == 0 {
                return Err(std::io::Error::other("the disk went away"));
            }
            let n = buf.len().min(self.ok).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            self.ok -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_read_failure_is_reported_once_and_ends_the_rows() {
        let failing = Failing {
            data: SETTINGS,
            ok: 1,
        };
        assert!(matches!(
            GiasReader::new(failing).err(),
            Some(GiasHeaderError::Unreadable(e)) if e.contains("the disk went away")
        ));
        let header_len = SETTINGS.iter().position(|b| *b == b'\n').unwrap() + 1;
        let failing = Failing {
            data: SETTINGS,
            ok: header_len + 10,
        };
        let all: Vec<_> = GiasReader::new(failing).unwrap().collect();
        assert_eq!(all.len(), 1, "{all:?}");
        let err = all[0].as_ref().unwrap_err();
        assert!(err.reason.contains("the disk went away"), "{err}");
    }

    fn setting_strategy() -> impl Strategy<Value = EducationSetting> {
        (
            100_000u32..=999_999,
            "[A-Za-z][A-Za-z0-9 ,'\"&()é-]{0,40}[A-Za-z]",
            "[A-Za-z ]{0,30}",
            "[A-Za-z0-9 ]{0,15}",
            0u16..=999,
            proptest::sample::select(SettingStatus::ALL.to_vec()),
        )
            .prop_map(|(urn, name, kind, phase, la, status)| EducationSetting {
                urn: Urn::parse(&urn.to_string()).unwrap(),
                name,
                kind: kind.trim().to_owned(),
                phase: phase.trim().to_owned(),
                la_code: LaCode::parse(&format!("{la:03}")).unwrap(),
                status,
            })
    }

    proptest! {
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(reader) = GiasReader::new(&bytes[..]) {
                for row in reader.take(10_000) {
                    if let Err(e) = row {
                        prop_assert!(e.line >= 2, "{e}");
                    }
                }
            }
        }

        #[test]
        fn never_panics_on_any_bytes_after_a_good_header(
            bytes in proptest::collection::vec(any::<u8>(), 0..600)
        ) {
            let mut file = HEADER.as_bytes().to_vec();
            file.extend_from_slice(&bytes);
            let reader = GiasReader::new(&file[..]).unwrap();
            let mut last = 2;
            for row in reader.take(10_000) {
                if let Err(e) = row {
                    // Lines are counted by line feeds: rows ended by a bare CR share a line.
                    prop_assert!(e.line >= last, "lines never go back: {e}");
                    prop_assert!(!e.reason.is_empty());
                    last = e.line;
                }
            }
        }

        #[test]
        fn settings_written_in_the_gias_layout_read_back_unchanged(
            settings in proptest::collection::vec(setting_strategy(), 0..20),
            shuffle in proptest::sample::subsequence((0..9usize).collect::<Vec<_>>(), 9).prop_shuffle(),
        ) {
            let mut settings = settings;
            let mut seen = std::collections::HashSet::new();
            settings.retain(|s| seen.insert(s.urn));
            let header = [URN, LA_CODE, NAME, KIND, STATUS, PHASE, "LA (name)", "Postcode", "OpenDate"];
            let mut out = csv::Writer::from_writer(Vec::new());
            out.write_record(shuffle.iter().map(|&i| header[i])).unwrap();
            for s in &settings {
                let fields = [
                    s.urn.to_string(),
                    s.la_code.to_string(),
                    s.name.clone(),
                    s.kind.clone(),
                    s.status.gias_name().to_owned(),
                    s.phase.clone(),
                    "Anytown".to_owned(),
                    "AT1 1AA".to_owned(),
                    "01-09-2001".to_owned(),
                ];
                out.write_record(shuffle.iter().map(|&i| &fields[i])).unwrap();
            }
            let file = out.into_inner().unwrap();
            let read: Vec<EducationSetting> =
                rows(&file).into_iter().collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(read, settings);
        }
    }
}
