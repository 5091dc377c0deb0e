//! The GOV.UK date input: three fields `{name}-day`, `{name}-month`, `{name}-year`, read into a
//! calendar date with the Design System's error messages.

use time::{Date, Month};

use crate::form::Fields;

/// The three fields as entered, to show them again (kept in the session by a form spread over
/// several pages).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct DateFields {
    pub(crate) day: String,
    pub(crate) month: String,
    pub(crate) year: String,
}

impl DateFields {
    /// The fields of `name` in `form`.
    pub(crate) fn read(form: &Fields, name: &str) -> Self {
        Self {
            day: form.get(&format!("{name}-day")).trim().to_owned(),
            month: form.get(&format!("{name}-month")).trim().to_owned(),
            year: form.get(&format!("{name}-year")).trim().to_owned(),
        }
    }

    /// The date, or the message for the field: `label` is what the date is, lower case
    /// ("the date the request was received").
    pub(crate) fn date(&self, label: &str) -> Result<Date, String> {
        let mut missing = Vec::new();
        for (part, value) in [
            ("day", &self.day),
            ("month", &self.month),
            ("year", &self.year),
        ] {
            if value.is_empty() {
                missing.push(part);
            }
        }
        if missing.len() == 3 {
            return Err(format!("Enter {label}"));
        }
        if !missing.is_empty() {
            let capital = capitalise(label);
            return Err(format!(
                "{capital} must include a {}",
                missing.join(" and ")
            ));
        }
        let number = |s: &str| s.parse::<i64>().ok();
        let (Some(d), Some(m), Some(y)) =
            (number(&self.day), number(&self.month), number(&self.year))
        else {
            return Err(format!("{} must be a real date", capitalise(label)));
        };
        if !(1000..=9999).contains(&y) {
            return Err("Year must include 4 numbers".to_owned());
        }
        let date = u8::try_from(m)
            .ok()
            .and_then(|m| Month::try_from(m).ok())
            .zip(u8::try_from(d).ok())
            .and_then(|(m, d)| Date::from_calendar_date(i32::try_from(y).ok()?, m, d).ok());
        date.ok_or_else(|| format!("{} must be a real date", capitalise(label)))
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn fields(d: &str, m: &str, y: &str) -> DateFields {
        DateFields {
            day: d.into(),
            month: m.into(),
            year: y.into(),
        }
    }

    #[test]
    fn dates_are_read_with_the_design_systems_messages() {
        assert_eq!(
            fields("5", "1", "2026").date("the date"),
            Ok(date!(2026 - 01 - 05))
        );
        assert_eq!(
            fields("29", "2", "2028").date("the date"),
            Ok(date!(2028 - 02 - 29))
        );
        assert_eq!(
            fields("", "", "").date("the date"),
            Err("Enter the date".into())
        );
        assert_eq!(
            fields("5", "", "").date("the date"),
            Err("The date must include a month and year".into())
        );
        assert_eq!(
            fields("29", "2", "2027").date("the date"),
            Err("The date must be a real date".into())
        );
        assert_eq!(
            fields("x", "2", "2027").date("the date"),
            Err("The date must be a real date".into())
        );
        assert_eq!(
            fields("1", "2", "27").date("the date"),
            Err("Year must include 4 numbers".into())
        );
        assert_eq!(
            fields("1", "13", "2027").date("the date"),
            Err("The date must be a real date".into())
        );
    }
}
