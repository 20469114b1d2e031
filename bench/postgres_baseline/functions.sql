-- One API operation = one call = one transaction (pgbench runs each statement in autocommit).

-- Locks the account row (FOR UPDATE) and returns its available balance; raises not_found, or
-- insufficient_credits (nothing taken) like Tally's 402 when it is short of p_amount.
CREATE FUNCTION tally_lock_account(p_account bigint, p_amount bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_available bigint;
BEGIN
  SELECT a.available INTO v_available FROM accounts a WHERE a.id = p_account FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'not_found: account %', p_account; END IF;
  IF v_available < p_amount THEN
    RAISE EXCEPTION 'insufficient_credits: account % has %, needs %', p_account, v_available,
      p_amount;
  END IF;
  RETURN v_available;
END $$;

-- Hold: lock the account row, then its unexpired non-empty lots in FEFO order (FOR UPDATE),
-- take from them in order, write the hold, its portions and one journal row per portion.
-- Returns the hold id; raises insufficient_credits (nothing taken) like Tally's 402.
CREATE FUNCTION tally_hold(p_account bigint, p_amount bigint, p_key text,
                           p_ttl interval DEFAULT interval '15 minutes')
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_available bigint;
  v_hold      bigint;
  v_left      bigint := p_amount;
  v_take      bigint;
  v_ord       smallint := 0;
  v_lot       record;
BEGIN
  SELECT h.id INTO v_hold FROM holds h WHERE h.idempotency_key = p_key;
  IF FOUND THEN RETURN v_hold; END IF;             -- a retry gets the first answer
  v_available := tally_lock_account(p_account, p_amount);
  INSERT INTO holds (account_id, amount, state, expires_at, idempotency_key)
    VALUES (p_account, p_amount, 'active', now() + p_ttl, p_key) RETURNING id INTO v_hold;
  FOR v_lot IN
    SELECT l.id, l.remaining FROM lots l
     WHERE l.account_id = p_account AND l.remaining > 0
       AND (l.expires_at IS NULL OR l.expires_at > now())
     ORDER BY l.expires_at NULLS LAST, l.priority, l.id
       FOR UPDATE
  LOOP
    v_take := least(v_lot.remaining, v_left);
    UPDATE lots SET remaining = remaining - v_take, held = held + v_take WHERE id = v_lot.id;
    v_ord := v_ord + 1;
    INSERT INTO hold_portions (hold_id, ord, lot_id, amount) VALUES (v_hold, v_ord, v_lot.id, v_take);
    v_available := v_available - v_take;
    INSERT INTO entries (account_id, kind, lot_id, hold_id, amount, held, balance_after)
      VALUES (p_account, 'hold', v_lot.id, v_hold, -v_take, v_take, v_available);
    v_left := v_left - v_take;
    EXIT WHEN v_left = 0;
  END LOOP;
  IF v_left <> 0 THEN   -- the cached balance disagreed with the lots: a bug, not an outcome
    RAISE EXCEPTION 'lots of account % short by %', p_account, v_left;
  END IF;
  UPDATE accounts SET available = available - p_amount, held = held + p_amount
   WHERE id = p_account;
  RETURN v_hold;
END $$;

-- Capture p_amount of a hold (NULL: all of it): the portions are consumed in the order they
-- were taken; what is not captured goes back to the lots it came from. Writes the spend and
-- one journal row per portion consumed and per portion returned. Returns the spend id.
CREATE FUNCTION tally_capture(p_hold bigint, p_amount bigint, p_key text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_h         record;
  v_spend     bigint;
  v_capture   bigint;
  v_left      bigint;
  v_take      bigint;
  v_available bigint;
  v_p         record;
BEGIN
  SELECT s.id INTO v_spend FROM spends s WHERE s.idempotency_key = p_key;
  IF FOUND THEN RETURN v_spend; END IF;
  SELECT h.account_id, h.amount, h.state, h.expires_at INTO v_h
    FROM holds h WHERE h.id = p_hold FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'not_found: hold %', p_hold; END IF;
  IF v_h.state <> 'active' THEN RAISE EXCEPTION 'hold_not_active: hold % is %', p_hold, v_h.state; END IF;
  IF v_h.expires_at <= now() THEN RAISE EXCEPTION 'hold_expired: hold %', p_hold; END IF;
  v_capture := coalesce(p_amount, v_h.amount);
  IF v_capture > v_h.amount THEN
    RAISE EXCEPTION 'capture_exceeds_hold: % > %', v_capture, v_h.amount;
  END IF;
  SELECT a.available INTO v_available FROM accounts a WHERE a.id = v_h.account_id FOR UPDATE;
  INSERT INTO spends (account_id, hold_id, amount, idempotency_key)
    VALUES (v_h.account_id, p_hold, v_capture, p_key) RETURNING id INTO v_spend;
  v_left := v_capture;
  FOR v_p IN
    SELECT hp.lot_id, hp.amount FROM hold_portions hp WHERE hp.hold_id = p_hold ORDER BY hp.ord
  LOOP
    v_take := least(v_p.amount, v_left);
    v_left := v_left - v_take;
    -- Row lock on the lot through the UPDATE itself.
    UPDATE lots SET held = held - v_p.amount, consumed = consumed + v_take,
                    remaining = remaining + (v_p.amount - v_take)
     WHERE id = v_p.lot_id;
    IF v_take > 0 THEN
      INSERT INTO entries (account_id, kind, lot_id, hold_id, spend_id, amount, held, balance_after)
        VALUES (v_h.account_id, 'capture', v_p.lot_id, p_hold, v_spend, 0, -v_take, v_available);
    END IF;
    IF v_p.amount > v_take THEN
      v_available := v_available + (v_p.amount - v_take);
      INSERT INTO entries (account_id, kind, lot_id, hold_id, amount, held, balance_after)
        VALUES (v_h.account_id, 'release', v_p.lot_id, p_hold, v_p.amount - v_take,
                -(v_p.amount - v_take), v_available);
    END IF;
  END LOOP;
  UPDATE holds SET state = 'captured' WHERE id = p_hold;
  UPDATE accounts SET available = v_available, held = held - v_h.amount
   WHERE id = v_h.account_id;
  RETURN v_spend;
END $$;

-- A one-shot spend of p_amount (Tally's POST /v1/spends): lock the account row, refuse if it
-- is short, then one statement: lock its unexpired non-empty lots FOR UPDATE in FEFO order,
-- let each take what the lots before it did not cover, update them and write one journal row
-- per lot taken from. Returns the spend id.
CREATE FUNCTION tally_spend(p_account bigint, p_amount bigint, p_key text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_available bigint;
  v_spend     bigint;
  v_taken     bigint;
BEGIN
  SELECT s.id INTO v_spend FROM spends s WHERE s.idempotency_key = p_key;
  IF FOUND THEN RETURN v_spend; END IF;
  v_available := tally_lock_account(p_account, p_amount);
  INSERT INTO spends (account_id, amount, idempotency_key)
    VALUES (p_account, p_amount, p_key) RETURNING id INTO v_spend;
  WITH locked AS (
    SELECT l.id, l.remaining, l.expires_at, l.priority FROM lots l
     WHERE l.account_id = p_account AND l.remaining > 0
       AND (l.expires_at IS NULL OR l.expires_at > now())
     ORDER BY l.expires_at NULLS LAST, l.priority, l.id
       FOR UPDATE
  ), takes AS (             -- before: what the lots earlier in FEFO order hold (all taken)
    SELECT w.id, least(w.remaining, p_amount - w.before) AS take, w.before
      FROM (SELECT k.id, k.remaining,
                   coalesce(sum(k.remaining) OVER (ORDER BY k.expires_at NULLS LAST, k.priority, k.id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
              FROM locked k) w
     WHERE w.before < p_amount
  ), moved AS (
    UPDATE lots l SET remaining = l.remaining - t.take, consumed = l.consumed + t.take
      FROM takes t WHERE l.id = t.id RETURNING t.take
  ), journal AS (
    INSERT INTO entries (account_id, kind, lot_id, spend_id, amount, held, balance_after)
      SELECT p_account, 'spend', t.id, v_spend, -t.take, 0, v_available - t.before - t.take
        FROM takes t ORDER BY t.before
  )
  SELECT coalesce(sum(m.take), 0) INTO v_taken FROM moved m;
  IF v_taken <> p_amount THEN   -- the cached balance disagreed with the lots: a bug
    RAISE EXCEPTION 'lots of account % short by %', p_account, p_amount - v_taken;
  END IF;
  UPDATE accounts SET available = v_available - p_amount WHERE id = p_account;
  RETURN v_spend;
END $$;
