-- :accounts accounts, each with :lots lots of 20 * 4^k credits (k = 0 .. lots-1: 20, 80, 320,
-- 1280, 5120 for 5 lots), lot k expiring (k + 1) weeks + (account mod 60) minutes from now:
-- FEFO takes the smallest lot first, so holds cross from lot 0 to lot 1 after a dozen pairs on
-- an account. load_tally.py grants the same lots through Tally's API.
INSERT INTO accounts (id, external_id, available)
  SELECT a, 'bench-' || a, 0 FROM generate_series(1, :accounts) a;
INSERT INTO lots (account_id, source, priority, amount, remaining, expires_at)
  SELECT a, 'admin', 2, 20000000 * (4::bigint ^ k)::bigint, 20000000 * (4::bigint ^ k)::bigint,
         now() + (k + 1) * interval '7 days' + (a % 60) * interval '1 minute'
    FROM generate_series(1, :accounts) a, generate_series(0, :lots - 1) k
   ORDER BY a, k;
INSERT INTO entries (account_id, kind, lot_id, amount, held, balance_after)
  SELECT l.account_id, 'grant', l.id, l.amount, 0,
         sum(l.amount) OVER (PARTITION BY l.account_id ORDER BY l.id)
    FROM lots l ORDER BY l.id;
UPDATE accounts a SET available = s.total
  FROM (SELECT account_id, sum(remaining) AS total FROM lots GROUP BY account_id) s
 WHERE s.account_id = a.id;
