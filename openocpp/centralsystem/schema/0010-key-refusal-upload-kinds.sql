-- Schema version 10.
--
-- AuthorizationKey refusals: why a charge point's last
-- ChangeConfiguration(AuthorizationKey) was not adopted (Rejected or
-- NotSupported, A01.FR.04), NULL once a new key is accepted. With
-- --pending-on-key-failure, a charge point with one is answered Pending at
-- its BootNotifications (A01.FR.05). Written on those answers only.
--
-- Upload kinds: what an upload location was made for, and so what the file
-- uploaded there is: 'Diagnostics' (GetDiagnostics, every location made
-- before this version), 'DiagnosticsLog' or 'SecurityLog' (GetLog's
-- logType, Security Whitepaper N01).

    ALTER TABLE charge_points ADD COLUMN key_refusal TEXT;
    ALTER TABLE upload_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'Diagnostics';
    ALTER TABLE uploads ADD COLUMN kind TEXT NOT NULL DEFAULT 'Diagnostics';
