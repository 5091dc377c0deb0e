//! Instants in SQLite: INTEGER microseconds since the Unix epoch, UTC.
//!
//! Numbers compare correctly in SQL (`expires_at > ?`), which text timestamps of varying
//! precision do not. Microseconds match PostgreSQL's `timestamptz`, so both adapters round
//! instants alike (finer parts are dropped).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Sqlite, Type};
use time::OffsetDateTime;

/// An instant as SQLite stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ts(pub(crate) OffsetDateTime);

/// Microseconds since the Unix epoch.
pub(crate) fn micros(at: OffsetDateTime) -> Result<i64, BoxDynError> {
    Ok(i64::try_from(at.unix_timestamp_nanos() / 1_000)?)
}

impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(micros(self.0)?, buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let micros = <i64 as Decode<Sqlite>>::decode(value)?;
        Ok(Self(OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(micros) * 1_000,
        )?))
    }
}
