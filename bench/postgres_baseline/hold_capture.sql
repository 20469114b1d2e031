-- pgbench script: one pgbench "transaction" = one hold+capture pair = two PostgreSQL
-- transactions (two commits, each fsynced), exactly as two API calls would be: hold 2 credits
-- on a random account, then capture 1.5 of them (the other 0.5 goes back to its lots).
\set aid random(1, :accounts)
\set key random(1, 9000000000000000000)
SELECT tally_hold(:aid, 2000000, 'h' || :key) AS hold_id \gset
SELECT tally_capture(:hold_id, 1500000, 'c' || :key)
