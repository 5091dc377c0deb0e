-- EHC Hub, PostgreSQL schema 2: server-side web sessions (tower-sessions' `SessionStore`,
-- implemented by `PgSessionStore`). One row per session; the cookie holds only the id.
-- `data` is the session's key/value map as JSON (the sign-in state, the CSRF token); rows past
-- `expiry_date` are never loaded and are deleted by `delete_expired`.
CREATE TABLE sessions (
    id          text        NOT NULL, -- 128-bit random id, URL-safe base64
    data        jsonb       NOT NULL,
    expiry_date timestamptz NOT NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (id)
);
CREATE INDEX sessions_by_expiry ON sessions (expiry_date);
