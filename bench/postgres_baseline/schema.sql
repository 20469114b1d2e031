-- FEFO hold-and-capture the way billing systems built on PostgreSQL usually do it: a lots table
-- locked row by row with SELECT ... FOR UPDATE in expiry order, a cached balance on the account
-- row, holds with their lot portions, spends, an append-only journal, an idempotency key per
-- change, and one transaction per API operation (PL/pgSQL functions, one call = one commit).
-- Amounts are bigint micro-credits, as in Tally. Loaded by bench/postgres_baseline/run.sh.

CREATE TABLE accounts (
  id          bigint PRIMARY KEY,
  external_id text NOT NULL UNIQUE,
  available   bigint NOT NULL DEFAULT 0 CHECK (available >= 0),
  held        bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lots (
  id          bigserial PRIMARY KEY,
  account_id  bigint NOT NULL REFERENCES accounts (id),
  source      text NOT NULL,
  priority    smallint NOT NULL,
  amount      bigint NOT NULL CHECK (amount > 0),
  remaining   bigint NOT NULL CHECK (remaining >= 0),
  held        bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
  consumed    bigint NOT NULL DEFAULT 0 CHECK (consumed >= 0),
  granted_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz            -- NULL: never expires
);
-- The FEFO scan: an account's lots by expiry. remaining/held/consumed are not indexed, so the
-- updates of a hold or capture are HOT (no index writes).
CREATE INDEX lots_fefo ON lots (account_id, expires_at, priority, id);

CREATE TABLE holds (
  id              bigserial PRIMARY KEY,
  account_id      bigint NOT NULL REFERENCES accounts (id),
  amount          bigint NOT NULL CHECK (amount > 0),
  state           text NOT NULL CHECK (state IN ('active', 'captured', 'released', 'expired')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  idempotency_key text NOT NULL UNIQUE
);

CREATE TABLE hold_portions (
  hold_id  bigint NOT NULL REFERENCES holds (id),
  ord      smallint NOT NULL,          -- FEFO order the portion was taken in
  lot_id   bigint NOT NULL REFERENCES lots (id),
  amount   bigint NOT NULL CHECK (amount > 0),
  PRIMARY KEY (hold_id, ord)
);

CREATE TABLE spends (
  id              bigserial PRIMARY KEY,
  account_id      bigint NOT NULL REFERENCES accounts (id),
  hold_id         bigint REFERENCES holds (id),
  amount          bigint NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  idempotency_key text NOT NULL UNIQUE
);

-- The journal: one row per lot movement, as Tally's entries (kind, lot, amount, balance after).
CREATE TABLE entries (
  id            bigserial PRIMARY KEY,
  account_id    bigint NOT NULL REFERENCES accounts (id),
  at            timestamptz NOT NULL DEFAULT now(),
  kind          text NOT NULL,         -- grant, hold, capture, release
  lot_id        bigint REFERENCES lots (id),
  hold_id       bigint,
  spend_id      bigint,
  amount        bigint NOT NULL,       -- change to available credits
  held          bigint NOT NULL,       -- change to held credits
  balance_after bigint NOT NULL
);
CREATE INDEX entries_account ON entries (account_id, id);   -- history pages
