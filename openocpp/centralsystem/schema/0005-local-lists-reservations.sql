-- Schema version 5: the operator's local lists and reservations (issue 12).
--
-- Every write of an id tag (added, changed, removed) leaves its tag in
-- id_tag_changes with a new sequence number (AUTOINCREMENT: never given
-- twice, so a change after a list was sent is always after its mark): a
-- Differential local list is the tags changed since the mark of the last
-- list a charge point Accepted. Triggers keep it, so the operator's writes
-- pay for it and a charge point's messages never do. (A DELETE and an
-- INSERT rather than INSERT OR REPLACE: the writing statement's own
-- conflict handling overrides a trigger's.)
--
-- local_lists: what the central system believes each charge point holds
-- (OCPP 1.6 sections 3.5, 5.15): the version it last accepted, the change
-- mark of that list (NULL: the list held is incomplete, a split Full list
-- stopped part way: only a Full list can follow), and the last attempt.
--
-- reservations: those a charge point Accepted (sections 5.13, 5.2), by
-- charge point and reservation id; state active, cancelled or used (an
-- active one past its expiry date reads as expired).
--
-- status_reports gets an index for the last firmware and diagnostics
-- status of each charge point.

    CREATE TABLE id_tag_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id_tag TEXT NOT NULL UNIQUE COLLATE NOCASE
    );
    CREATE TRIGGER id_tags_added AFTER INSERT ON id_tags
    BEGIN
        DELETE FROM id_tag_changes WHERE id_tag = NEW.id_tag;
        INSERT INTO id_tag_changes (id_tag) VALUES (NEW.id_tag);
    END;
    CREATE TRIGGER id_tags_changed AFTER UPDATE ON id_tags
    BEGIN
        DELETE FROM id_tag_changes WHERE id_tag = NEW.id_tag;
        INSERT INTO id_tag_changes (id_tag) VALUES (NEW.id_tag);
    END;
    CREATE TRIGGER id_tags_removed AFTER DELETE ON id_tags
    BEGIN
        DELETE FROM id_tag_changes WHERE id_tag = OLD.id_tag;
        INSERT INTO id_tag_changes (id_tag) VALUES (OLD.id_tag);
    END;
    INSERT INTO id_tag_changes (id_tag) SELECT id_tag FROM id_tags ORDER BY id_tag;
    CREATE TABLE local_lists (
        identity TEXT PRIMARY KEY,
        list_version INTEGER NOT NULL DEFAULT 0,
        change_mark INTEGER,
        accepted_at TEXT,
        last_update_type TEXT,
        last_version INTEGER,
        last_status TEXT,
        last_at TEXT
    );
    CREATE TABLE reservations (
        identity TEXT NOT NULL,
        reservation_id INTEGER NOT NULL,
        connector_id INTEGER NOT NULL,
        id_tag TEXT NOT NULL,
        parent_id_tag TEXT,
        expiry_date TEXT NOT NULL,
        state TEXT NOT NULL,
        reserved_at TEXT NOT NULL,
        ended_at TEXT,
        transaction_id INTEGER,
        PRIMARY KEY (identity, reservation_id)
    );
    CREATE INDEX status_reports_latest ON status_reports (identity, kind, id);
