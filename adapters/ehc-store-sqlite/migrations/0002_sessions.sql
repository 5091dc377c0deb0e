-- EHC Hub, SQLite schema 2: server-side web sessions (tower-sessions' `SessionStore`,
-- implemented by `SqliteSessionStore`). One row per session; the cookie holds only the id.
-- `data` is the session's key/value map as JSON; `expiry_date` is INTEGER microseconds since the
-- Unix epoch, UTC. Rows past it are never loaded and are deleted by `delete_expired`.
CREATE TABLE sessions (
    id          TEXT    NOT NULL, -- 128-bit random id, URL-safe base64
    data        TEXT    NOT NULL,
    expiry_date INTEGER NOT NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (id)
) STRICT;
CREATE INDEX sessions_by_expiry ON sessions (expiry_date);
