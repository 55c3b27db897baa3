-- Schema version 9 (charge point certificates): the certificates the
-- central system knows a charge point holds: those it installed
-- (InstallCertificate.conf Accepted through the proxy, removed again by a
-- DeleteCertificate.conf Accepted) and the charge point certificate it
-- presented at a profile-3 TLS handshake (Security Whitepaper sections 2.3,
-- M05, M04, A00.FR.4xx). Written on those answers and on a connection,
-- never on the charge points' other messages.

    CREATE TABLE charge_point_certificates (
        identity TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        source TEXT NOT NULL,
        certificate_type TEXT NOT NULL,
        subject TEXT NOT NULL,
        issuer TEXT NOT NULL,
        serial TEXT NOT NULL,
        issuer_name_hash TEXT NOT NULL,
        not_before TEXT NOT NULL,
        not_after TEXT NOT NULL,
        certificate TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (identity, fingerprint, source)
    );
