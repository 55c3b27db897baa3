-- Schema version 8 (certificates): the charge point certificates the
-- central system issued answering SignCertificate (Security Whitepaper use
-- cases A02, A03), with the charge point's answer to CertificateSigned and
-- their revocation. Written only when a CSR is signed, its delivery
-- answered or an operator revokes one; read at a TLS handshake presenting
-- a client certificate (by serial number), never on the charge points'
-- other messages.

    CREATE TABLE issued_certificates (
        serial TEXT PRIMARY KEY,
        identity TEXT NOT NULL,
        subject TEXT NOT NULL,
        not_before TEXT NOT NULL,
        not_after TEXT NOT NULL,
        certificate TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        delivery TEXT,
        revoked_at TEXT
    );

    CREATE INDEX issued_certificates_by_identity ON issued_certificates (identity, issued_at);
