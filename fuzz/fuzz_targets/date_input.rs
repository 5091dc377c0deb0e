//! GOV.UK date inputs (`{name}-day`, `-month`, `-year`) as the case forms read them: any three
//! values give a real date or the field's message, never a panic; an accepted date is the one
//! its numbers name.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn encode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

fuzz_target!(|parts: (&str, &str, &str)| {
    let (day, month, year) = parts;
    let body = format!(
        "when-day={}&when-month={}&when-year={}",
        encode(day),
        encode(month),
        encode(year)
    );
    match ehc_http::fuzzing::form_date(body.as_bytes(), "when") {
        Ok(date) => {
            assert!((1000..=9999).contains(&date.year()));
            assert_eq!(day.trim().parse::<i64>().ok(), Some(i64::from(date.day())));
            assert_eq!(
                month.trim().parse::<i64>().ok(),
                Some(i64::from(u8::from(date.month())))
            );
            assert_eq!(
                year.trim().parse::<i64>().ok(),
                Some(i64::from(date.year()))
            );
        }
        Err(message) => assert!(!message.is_empty()),
    }
});
