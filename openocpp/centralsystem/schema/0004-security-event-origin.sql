-- Schema version 4: security events the central system records itself
-- (repeated failed authentications), told apart from those charge points
-- send.

    ALTER TABLE security_events ADD COLUMN origin TEXT NOT NULL DEFAULT 'ChargePoint';
    ALTER TABLE security_events ADD COLUMN peer TEXT;
