-- Schema version 3: the spec's corner cases (issue 10).
--
-- Id tags are case-insensitive (OCPP 1.6 section 7.28, errata 3.73 and
-- 3.74): one record per tag whatever its case, spelt as first written.
-- Tags that differed only in case become one: the most restrictive
-- status wins (Blocked, Invalid, Expired, then Accepted: merging must
-- never accept a card an operator blocked), then the one written last
-- (the highest rowid: INSERT OR REPLACE gave each write a new row). The
-- others are kept as they were in id_tag_case_duplicates, with the tag
-- that stands for them now: nothing is lost, nothing reads them.
--
-- Meter values attach only to their own charge point's transactions:
-- those stored under another charge point's, or under a transaction
-- that does not exist, are detached; the id they named is kept.
--
-- A StopTransaction without reason stopped for the spec's default
-- reason, Local (section 6.49).

    CREATE TABLE id_tags_v3 (
        id_tag TEXT PRIMARY KEY COLLATE NOCASE,
        status TEXT NOT NULL,
        expiry_date TEXT,
        parent_id_tag TEXT
    );
    INSERT INTO id_tags_v3 (id_tag, status, expiry_date, parent_id_tag)
        SELECT id_tag, status, expiry_date, parent_id_tag FROM (
            SELECT *, row_number() OVER (
                PARTITION BY id_tag COLLATE NOCASE
                ORDER BY CASE status WHEN 'Blocked' THEN 0 WHEN 'Invalid' THEN 1
                    WHEN 'Expired' THEN 2 ELSE 3 END, rowid DESC
            ) AS place FROM id_tags
        ) WHERE place = 1;
    CREATE TABLE id_tag_case_duplicates (
        id INTEGER PRIMARY KEY,
        id_tag TEXT NOT NULL,
        status TEXT NOT NULL,
        expiry_date TEXT,
        parent_id_tag TEXT,
        kept_id_tag TEXT NOT NULL
    );
    INSERT INTO id_tag_case_duplicates (id_tag, status, expiry_date, parent_id_tag, kept_id_tag)
        SELECT old.id_tag, old.status, old.expiry_date, old.parent_id_tag, kept.id_tag
        FROM id_tags AS old JOIN id_tags_v3 AS kept ON kept.id_tag = old.id_tag
        WHERE old.id_tag <> kept.id_tag COLLATE BINARY
        ORDER BY kept.id_tag, old.rowid;
    DROP TABLE id_tags;
    ALTER TABLE id_tags_v3 RENAME TO id_tags;
    ALTER TABLE meter_values ADD COLUMN named_transaction_id INTEGER;
    UPDATE meter_values SET named_transaction_id = transaction_id, transaction_id = NULL
        WHERE transaction_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM transactions
            WHERE transactions.id = meter_values.transaction_id
            AND transactions.identity = meter_values.identity
        );
    UPDATE transactions SET stop_reason = 'Local'
        WHERE stop_timestamp IS NOT NULL AND stop_reason IS NULL;
