-- Schema version 10 (AuthorizationKey refusals): why a charge point's last
-- ChangeConfiguration(AuthorizationKey) was not adopted (Rejected or
-- NotSupported, A01.FR.04), NULL once a new key is accepted. With
-- --pending-on-key-failure, a charge point with one is answered Pending at
-- its BootNotifications (A01.FR.05). Written on those answers only.

    ALTER TABLE charge_points ADD COLUMN key_refusal TEXT;
