-- Access control: the one password (as a slow hash), the key that signs cookies, and the signed-in browsers.

CREATE TABLE access (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- "scrypt$n$r$p$salt$hash", base64 parts; NULL until a password is chosen.
    password_hash TEXT,
    password_set_at TEXT,
    -- Signs session and CSRF cookies. Made once; replacing it signs every browser out.
    secret_key TEXT NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the cookie's random token, so a copy of the database opens no session.
    token_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    -- Address and browser at sign-in, to recognise one's own devices in a list.
    client TEXT NOT NULL DEFAULT ''
);
