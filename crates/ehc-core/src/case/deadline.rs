//! The statutory time limits of a case (docs/DOMAIN.md). Calendar arithmetic (weeks, days,
//! months, working days and the bank-holiday table) is in [`calendar`] and re-exported here.

pub mod calendar;

pub use calendar::{
    days_after, is_bank_holiday, is_working_day, long_date, months_after, weeks_after,
    within_months_starting, working_days_after, working_days_beginning_with,
};
