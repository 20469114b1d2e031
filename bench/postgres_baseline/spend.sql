-- pgbench script: one pgbench "transaction" = one one-shot spend of 1 credit on a random
-- account (FEFO over its lots) = one PostgreSQL transaction, one commit, fsynced.
\set aid random(1, :accounts)
\set key random(1, 9000000000000000000)
SELECT tally_spend(:aid, 1000000, 's' || :key)
