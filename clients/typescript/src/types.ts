// The shapes of docs/openapi.yaml, one interface per schema or reply. Amounts come in pairs:
// `amount` (decimal string of credits) and `amount_micro` (bigint of micro-credits). Ids the
// ledger assigns are decimal strings; times are RFC 3339 UTC strings. A test
// (test/spec_coverage_test.mjs) fails when the spec names an operation or a field these lack.
import type {AmountInput} from './amount.js';

/** Credits as a decimal string, at most 6 decimals ("12.5"). */
export type Amount = string;
/** The same amount in micro-credits (1 credit = 1,000,000). */
export type AmountMicro = bigint;
/** A 64-bit id the ledger assigned, as a decimal string. */
export type Id = string;
/** The platform's own account id. */
export type AccountId = string;
/** RFC 3339 UTC ("2026-11-21T08:00:00Z"). */
export type Time = string;
/** ISO 8601 duration ("P30D", "P1M", "PT15M"). */
export type Duration = string;

export type Source =
  'signup' | 'subscription' | 'rollover' | 'reward' | 'promo' | 'admin' | 'purchase' | 'refund';

/** A tool's parameters by name: `{resolution: "1080p", seconds: 5}`. */
export type ParamValue = string | number | bigint | boolean;
export type Params = Record<string, ParamValue>;

export type ProblemType =
  'invalid_request' | 'idempotency_key_missing' | 'unknown_tool' | 'unknown_parameter' |
  'unknown_option' | 'missing_parameter' | 'bad_value' | 'unauthorized' |
  'insufficient_credits' | 'forbidden' | 'not_found' | 'method_not_allowed' |
  'account_exists' | 'hold_expired' | 'hold_not_active' | 'capture_exceeds_hold' |
  'refund_exceeds_spend' | 'spend_not_refundable' | 'lot_voided' | 'idempotency_conflict' |
  'payment_ref_used' | 'not_subscribed' | 'already_claimed' | 'reward_unavailable' |
  'payload_too_large' | 'unsupported_media_type' | 'limit_exceeded' | 'invalid_config' |
  'budget_exceeded' | 'not_a_member' | 'member_exists' | 'budget_exists' | 'outcome_conflict' |
  'unavailable' | 'internal' | 'editing_not_allowed';

/** RFC 9457 problem details (`application/problem+json`). */
export interface Problem {
  type: ProblemType | string;
  title: string;
  status: number;
  detail: string;
  /** `insufficient_credits` and `budget_exceeded`: how much is missing. */
  shortfall?: Amount;
  shortfall_micro?: AmountMicro;
  /** `budget_exceeded` only: the budget that refused, and where it stood. */
  budget?: BudgetRefusal;
  /** `invalid_config` only: every message about the file, as a start would give them. */
  errors?: string[];
  /** The id of the request that got this problem (its `X-Request-Id`), for the server's log. */
  request_id?: string;
  /** `unavailable` from a node without the shard leases: the node that holds them. */
  owner?: string;
}

export interface Balance {
  available: Amount;
  available_micro: AmountMicro;
  held: Amount;
  held_micro: AmountMicro;
  /** Granted credits whose `effective_at` is still ahead. */
  pending: Amount;
  pending_micro: AmountMicro;
  /** available + held. */
  total: Amount;
  total_micro: AmountMicro;
}

export interface BalanceAt extends Balance {
  as_of: Time;
}

export interface Lot {
  id: Id;
  account: AccountId;
  source: Source;
  /** Granted. */
  amount: Amount;
  amount_micro: AmountMicro;
  /** Available to spend (not held). */
  remaining: Amount;
  remaining_micro: AmountMicro;
  held: Amount;
  held_micro: AmountMicro;
  consumed: Amount;
  consumed_micro: AmountMicro;
  expired: Amount;
  expired_micro: AmountMicro;
  granted_at: Time;
  effective_at: Time;
  /** `null` when the credits never expire. */
  expires_at: Time | null;
  scope: string[];
  reason: string;
  reference: string;
  voided: boolean;
}

export interface AmountPair {
  amount: Amount;
  amount_micro: AmountMicro;
}

export interface Subscription {
  plan: string;
  state: 'active' | 'cancelling' | 'past_due';
  period_start: Time;
  period_end: Time;
  allocation: Amount;
  allocation_micro: AmountMicro;
  /** A downgrade that takes effect at `period_end`. */
  pending_plan: string | null;
  cancel_at_period_end: boolean;
}

/** The answer to a subscription change: the subscription and the lots the change granted. */
export interface SubscriptionChange extends Subscription {
  account: AccountId;
  allocation_lot: Id | null;
  rollover_lot: Id | null;
  signup_lot: Id | null;
}

/** `team`: a shared wallet with members and budgets (docs/api.md "Teams"). */
export type AccountKind = 'personal' | 'team';

export interface Account {
  id: AccountId;
  kind: AccountKind;
  plan: string | null;
  balance: Balance;
  /** Remaining credits per source; only sources with credits appear. */
  by_source: Partial<Record<Source, AmountPair>>;
  /** The next instant credits expire and how many; `null` when none will. */
  next_expiry: {at: Time; amount: Amount; amount_micro: AmountMicro} | null;
  lots: Lot[];
  subscription: Subscription | null;
  open_holds: number;
}

export type EntryKind = 'grant' | 'hold' | 'release' | 'capture' | 'spend' | 'refund' | 'expire' | 'void';

export interface Entry {
  seq: number;
  at: Time;
  kind: EntryKind;
  account: AccountId;
  /** Change of the lot's remaining (available). */
  amount: Amount;
  amount_micro: AmountMicro;
  /** Change of the lot's held portion. */
  held: Amount;
  held_micro: AmountMicro;
  balance_after: Amount;
  balance_after_micro: AmountMicro;
  lot: Id;
  source: Source;
  tool: string | null;
  hold: Id | null;
  spend: Id | null;
  /** Grants only: when the granted credits expire. */
  expires_at?: Time | null;
  reason: string;
  /** A team account's entries: the member, and project, of the hold or spend. */
  member?: UserId;
  project?: ProjectId;
}

/** One line of history by operation (`group: 'operation'`), its entries under `portions`. */
export interface Operation {
  operation: 'grant' | 'purchase' | 'hold' | 'capture' | 'release' | 'spend' | 'refund' |
      'expiry' | 'renewal' | 'void' | 'other';
  at: Time;
  first_seq: number;
  /** The seq of its last entry. */
  last_seq: number;
  /** One line a person reads: "Held 12 credits for video". */
  summary: string;
  /** The figure the summary leads with. */
  credits: Amount;
  credits_micro: AmountMicro;
  /** Change of the available credits. */
  amount: Amount;
  amount_micro: AmountMicro;
  held: Amount;
  held_micro: AmountMicro;
  balance_after: Amount;
  balance_after_micro: AmountMicro;
  /** `null` when its lots have several sources. */
  source: Source | null;
  tool: string | null;
  hold: Id | null;
  spend: Id | null;
  member?: UserId;
  project?: ProjectId;
  portions: Entry[];
}

export interface EntryPage {
  /** Without `group: 'operation'`. */
  entries?: Entry[];
  /** With `group: 'operation'`. */
  operations?: Operation[];
  /** Pass as `after` for the next page; `null` when this page is the last. */
  next_after: number | null;
}

export interface Portion {
  lot: Id;
  amount: Amount;
  amount_micro: AmountMicro;
  /** When the lot the portion came from expires; `null` for never. */
  expires_at?: Time | null;
}

/** Where released or refunded credits went (DESIGN rule 3). */
export interface Restored {
  to_lots: Amount;
  to_lots_micro: AmountMicro;
  to_refund_lots: Amount;
  to_refund_lots_micro: AmountMicro;
  voided: Amount;
  voided_micro: AmountMicro;
  refund_lots: Id[];
}

export interface QuoteLine {
  kind: 'base' | 'add' | 'multiply' | 'included' | 'minimum' | 'rounding';
  /** The parameter's id; `null` for tool-level items. */
  param: string | null;
  /** The parameter's value as text ("1080p", "5", "true"). */
  value: string | null;
  /** Credits, or the factor for `multiply` (a decimal string). */
  amount: string;
  /** The running cost after this item (exact, before rounding). */
  subtotal: string;
  /** For people ("model Standard"); may be empty. */
  label?: string;
  /** For people ("× 1.25", "rounding +0.75"). */
  operation?: string;
}

export interface Quote {
  tool: string;
  total: Amount;
  total_micro: AmountMicro;
  price_book_version: string;
  plan: string | null;
  breakdown: QuoteLine[];
}

export type HoldState = 'active' | 'captured' | 'released' | 'expired';

/** While `active` every field is present; a finished hold has at least id, state and spend. */
export interface Hold {
  id: Id;
  state: HoldState;
  account?: AccountId;
  amount?: Amount;
  amount_micro?: AmountMicro;
  tool?: string | null;
  expires_at?: Time;
  /** `null` when the hold was made by amount. */
  price_book_version?: string | null;
  portions?: Portion[];
  /** Present when the hold was priced from tool and params. */
  quote?: Quote;
  /** Finished holds only: the spend a capture made. */
  spend?: Id | null;
  /** A team account's hold: who placed it, for which project. */
  member?: UserId;
  project?: ProjectId;
}

/** A job that costs 0 (an option included in the plan): nothing was held or spent. */
export interface IncludedJob {
  id: null;
  account: AccountId;
  amount: Amount;
  amount_micro: AmountMicro;
  state: 'included';
  tool: string;
  price_book_version: string;
  portions: never[];
  quote: Quote;
}

export interface Spend {
  id: Id;
  account: AccountId;
  amount: Amount;
  amount_micro: AmountMicro;
  tool: string | null;
  portions: Portion[];
  refunded: Amount;
  refunded_micro: AmountMicro;
  /** `null` when the spend was made by amount. */
  price_book_version: string | null;
  /** The hold whose capture made this spend; `null` for a one-shot spend. */
  hold?: Id | null;
  /** A team account's spend: who made it, for which project. */
  member?: UserId;
  project?: ProjectId;
  /** What the job's output turned out to be; `null` until said. */
  outcome?: Outcome | null;
}

/** What a job's output turned out to be (a failed job is a released hold, not an outcome). */
export type Outcome = 'usable' | 'rejected';

export interface SpendOutcome {
  spend: Id;
  outcome: Outcome;
  /** false: the spend already had this outcome. */
  changed: boolean;
}

export interface OutcomeRequest {
  outcome: Outcome;
}

export interface Purchase {
  id: Id;
  account: AccountId;
  pack: string;
  /** In currency units ("9.99"), never a float. */
  price: {amount: string; currency: string};
  lot: Id;
  credits: Amount;
  credits_micro: AmountMicro;
  bonus_lot: Id | null;
  bonus: Amount;
  bonus_micro: AmountMicro;
  expires_at: Time | null;
}

export interface Capture {
  hold: Id;
  state: 'captured';
  /** `null` when nothing was captured (a zero capture). */
  spend: Id | null;
  captured: Amount;
  captured_micro: AmountMicro;
  released: Amount;
  released_micro: AmountMicro;
  /** The lot portions captured. */
  portions: Portion[];
  restored: Restored;
}

export interface Release {
  hold: Id;
  state: 'released';
  released: Amount;
  released_micro: AmountMicro;
  restored: Restored;
}

export interface Refund {
  spend: Id;
  refunded: Amount;
  refunded_micro: AmountMicro;
  refunded_total: Amount;
  refunded_total_micro: AmountMicro;
  restored: Restored;
}

interface VoidTotals {
  voided: Amount;
  voided_micro: AmountMicro;
  consumed: Amount;
  consumed_micro: AmountMicro;
  held: Amount;
  held_micro: AmountMicro;
  expired: Amount;
  expired_micro: AmountMicro;
}
export interface PurchaseVoid extends VoidTotals {
  purchase: Id;
}
export interface LotVoid extends VoidTotals {
  lot: Id;
}

export interface DailyReward {
  lot: Id;
  amount: Amount;
  amount_micro: AmountMicro;
  expires_at: Time | null;
  /** The season whose override applied, if any. */
  season: string | null;
}

export interface UserToken {
  token: string;
  /** The token's id: `revokeTokens(account, {token_id: id})` refuses this token alone. */
  id: string;
  account: AccountId;
  /** The team member the token acts as; null for the account's own token. */
  member: UserId | null;
  expires_at: Time;
  /** Opens the dashboard for this user. */
  url: string;
}

/** What a key may call: `service` all but grants, voids, keys and the clock; `worker` quotes,
 * holds, captures and releases; `read` the GET requests of a service key. */
export type KeyScope = 'admin' | 'service' | 'worker' | 'read';

/** A key as `GET /v1/keys` lists it: never its secret. */
export interface ApiKey {
  /** `key_…`, or `admin`. */
  id: string;
  name: string;
  scope: KeyScope;
  created_at: Time;
  /** `null`: never expires. */
  expires_at: Time | null;
  /** `null`: never used. Kept to the second; up to 10 s old after a crash. */
  last_used_at: Time | null;
  /** After a rotation, when the previous secrets stop working. */
  previous_valid_until: Time | null;
}

/** A key just created or rotated, with its secret. */
export interface ApiKeyWithSecret extends ApiKey {
  /** The secret; shown once. */
  key: string;
}

/** The name of 0.1.0. */
export type ServiceKey = ApiKeyWithSecret;

export interface RevokedKey extends ApiKey {
  revoked_at: Time;
}

export interface KeyList {
  keys: ApiKey[];
}

/** `*` (every type) or one of docs/events.md's types. */
export type WebhookEventType = '*' | 'balance.low' | 'balance.depleted' | 'credits.expiring' |
  'credits.expired' | 'hold.timed_out' | 'subscription.renewed' | 'subscription.past_due' |
  'purchase.completed' | 'purchase.voided' | 'refund.created' | 'auto_topup.requested' |
  'budget.threshold_reached' | 'budget.exceeded' | 'webhook.disabled';

/** A webhook endpoint (docs/webhooks.md), never its secret. Times are the server's wall clock. */
export interface Webhook {
  /** `wh_…`. */
  id: string;
  url: string;
  event_types: WebhookEventType[];
  description: string;
  created_at: Time;
  /** `failing`: the last attempt failed and is being retried. */
  status: 'enabled' | 'failing' | 'disabled';
  disabled_at: Time | null;
  disabled_reason: string | null;
  failing_since: Time | null;
  /** Failed attempts in a row. */
  failures: number;
  next_attempt_at: Time | null;
  /** After a rotation, until when the old secret signs beside the new one. */
  previous_secret_valid_until: Time | null;
}

export interface WebhookWithSecret extends Webhook {
  /** `whsec_…`, the HMAC-SHA256 key of `Tally-Signature`; shown once. */
  secret: string;
}

export interface WebhookList {
  webhooks: Webhook[];
}

export interface WebhookDelivery {
  event: Id;
  event_type: string;
  at: Time;
  /** The receiver's HTTP status; `null` when none came (`error` says why). */
  status: number | null;
  error: string | null;
  latency_ms: number;
  redelivery: boolean;
  /** The receiver answered 2xx. */
  delivered: boolean;
}

export interface WebhookDeliveries {
  /** Newest first. */
  deliveries: WebhookDelivery[];
}

export interface Redelivery {
  webhook: string;
  event: Id;
  queued: boolean;
}

export interface TokenRevocation {
  account: AccountId;
  /** `null` when every token of the account was revoked. */
  token_id: string | null;
  all: boolean;
  revoked_at: Time;
}

/** An account as `GET /v1/accounts` lists it (its lots: `getAccount`). */
export interface AccountSummary {
  id: AccountId;
  kind: AccountKind;
  plan: string | null;
  balance: Balance;
  open_holds: number;
}

export interface AccountPage {
  accounts: AccountSummary[];
  /** Pass as `cursor` for the next page; `null` when this page is the last. */
  next_cursor: AccountId | null;
}

export interface PriceOption {
  id: string;
  name: string;
  effect: 'price' | 'add' | 'multiply' | 'none';
  /** Credits, or the factor of `multiply`; `null` for a usage multiplier. */
  amount: string | null;
  /** The effect for people ("× 2", "5"). */
  text: string;
  default: boolean;
  /** Plans in which this option costs nothing. */
  included_in: string[];
}

export interface PriceParam {
  id: string;
  name: string;
  kind: 'choice' | 'usage' | 'count' | 'switch';
  /** Its default or range, for people. */
  detail: string;
  options: PriceOption[];
}

export interface PriceTool {
  id: string;
  name: string;
  description: string;
  /** What one job is priced per ("generation", "second"). */
  unit: string;
  minimum: string;
  rounding: string;
  base: string | null;
  /** A job with every default; `null` when a parameter has no default. */
  default_total: Amount | null;
  default_total_micro: AmountMicro | null;
  params: PriceParam[];
}

/** The public price table of the price book in force. */
export interface PriceTable {
  name: string;
  version: string;
  effective_at: Time;
  /** What one credit costs per currency (in currency units), over the packs sold in it. */
  credit_value: Array<{currency: string; min: string; max: string; packs: number}>;
  tools: PriceTool[];
  /** Versions that take effect later than the server's time: announced, not yet charged. */
  upcoming: Array<{name: string; version: string; effective_at: Time}>;
  /** The configuration scored against the fair-pricing checklist (docs/lint.md). */
  fairness: LintReport;
}

/** `tally lint --json`, and `fairness` of the price table. */
export interface LintReport {
  outcome: 'pass' | 'warn' | 'fail';
  items: Array<{
    id: string;
    title: string;
    outcome: 'pass' | 'warn' | 'fail';
    /** One line. */
    why: string;
    /** The configuration key it is about ("packs[1].bonus_validity"); empty for the whole file. */
    where: string;
    /** Its line in the file; null from the server. */
    line: number | null;
  }>;
}

export interface PlanDailyReward {
  amount: Amount;
  amount_micro: AmountMicro;
  base_amount: Amount;
  base_amount_micro: AmountMicro;
  /** The multiplier a member plan's claims get ("2"); null on other plans. */
  member_boost: string | null;
  season: string | null;
  /** ISO 8601 duration of the reward's lot. */
  validity: Duration;
}

export interface Plan {
  id: string;
  name: string;
  /** Orders plans: a change to a higher tier is an upgrade (now), lower a downgrade (period end). */
  tier: number;
  /** Credits each period (0 with a custom allocation). */
  allocation: Amount;
  allocation_micro: AmountMicro;
  period: 'weekly' | 'monthly' | 'yearly';
  /** At most this much carries into the next period; 0 resets. */
  rollover_cap: Amount;
  rollover_cap_micro: AmountMicro;
  /** The allocation is set per subscription. */
  custom_allocation: boolean;
  signup_grant: Amount;
  signup_grant_micro: AmountMicro;
  /** What a claim now grants; `null` when the plan has no daily reward. */
  daily_reward: PlanDailyReward | null;
  member: boolean;
  purchase_bonus_percent: number;
  /** Members a team account on this plan may have; 0: no team accounts. */
  team_members: number;
}

export interface Plans {
  /** The plan a new account gets when it names none. */
  default_plan: string | null;
  plans: Plan[];
}

export interface PackPrice {
  currency: string;
  /** In currency units ("9.99"), never a float. */
  amount: string;
  /** `null` for the default price. */
  region: string | null;
  /** One credit's price, in currency units. */
  per_credit: string;
}

export interface Pack {
  id: string;
  name: string;
  credits: Amount;
  credits_micro: AmountMicro;
  bonus: Amount;
  bonus_micro: AmountMicro;
  /** ISO 8601 duration of the purchased credits, or "never". */
  validity: Duration | 'never';
  /** ISO 8601 duration of the bonus credits' own lot, or "never". */
  bonus_validity: Duration | 'never';
  prices: PackPrice[];
}

export interface Packs {
  packs: Pack[];
}

/** On PostgreSQL: a node's shard leases (docs/storage.md "Leases and fencing"). */
export interface LeaseNode {
  id: string;
  state: 'active' | 'expired' | 'standby';
  epoch: number;
  lease_ms: number;
  /** The node holding the leases as last seen (empty if none). */
  owner: string;
  shards_held: number;
}

export interface Health {
  status: 'ok';
  shards: number;
  /** On PostgreSQL only. */
  node?: LeaseNode;
}

/** POST /v1/admin/reload: the configuration read again, now in force. */
export interface ConfigReload {
  file: string;
  /** Reloads applied since the server started. */
  generation: number;
  /** Sections that differ from the configuration that ran before. */
  changed: Array<'price_book' | 'plans' | 'packs' | 'seasons' | 'ledger' | 'log'>;
  /** Changed sections that keep running as they are until a restart. */
  restart_required: Array<'ledger'>;
  price_book_version: string;
  /** Whether the file's version was new to the server. */
  price_book_added: boolean;
  /** The version in force now (the file's, once its `effective_at` has come). */
  price_book_in_force: string | null;
}

/** GET /v1/audit: each filter narrows the list. */
export type AuditQuery = {
  /** Only what this credential did: a key's id ("admin" for the admin key) or a token's id. */
  key?: string;
  /** Only lines about this account. */
  account?: AccountId;
  /** Only lines at or after this time. */
  from?: Time;
  /** Only lines before this time. */
  to?: Time;
  /** The previous page's `next_cursor`. */
  cursor?: string;
  /** 1 to 1000; default 100. */
  limit?: number;
};

/** One line of the audit trail: a ledger change, or an admin action outside the ledger. */
export interface AuditLine {
  at: Time;
  source: 'ledger' | 'admin';
  /** The shard of a ledger change; `null` for an admin action. */
  shard: number | null;
  /** The line's place in its source (from 1). */
  seq: number;
  /** The command (`place_hold`, `void_lot`, ...) or the admin action (`revoke_key`, `reload`, ...). */
  action: string;
  credential: 'key' | 'token' | 'none';
  key_id: string | null;
  token_id: string | null;
  /** The team member a token acts as. */
  member: string | null;
  /** The request's key; `null` for an admin action. */
  idempotency_key: string | null;
  account: AccountId | null;
  /** What an admin action changed (a key's or webhook's id, the new time, the file). */
  target: string | null;
}

export interface AuditPage {
  lines: AuditLine[];
  /** Pass as `cursor` for the next page (also when this one is empty). */
  next_cursor: string;
  /** Another page follows at once. */
  has_more: boolean;
}

export interface ClockSet {
  now: Time;
}

// --- requests --------------------------------------------------------------------------------

export interface OpenAccountRequest {
  id: AccountId;
  /** Absent: the catalog's default plan. `null`: no subscription. */
  plan?: string | null;
  /** `team`: a shared wallet; its plan must allow teams (`team_members`), or be null. */
  kind?: AccountKind;
  /** A team account's first owner (a user id of the platform); team accounts only. */
  owner?: UserId;
}

export interface GrantRequest {
  amount: AmountInput;
  source?: Source;
  expires_at?: Time;
  valid_for?: Duration;
  never_expires?: true;
  effective_at?: Time;
  scope?: string[];
  reason: string;
  reference?: string;
}

export interface SubscribeRequest {
  plan: string;
  /** Only for plans with a custom allocation (enterprise). */
  allocation?: AmountInput;
}

export interface TokenRequest {
  /** Seconds, 1 to 2592000; default 3600. */
  ttl_s?: number;
  /** A token for this member of a team account: it reads what the member's role allows. */
  member?: UserId;
}

export interface QuoteRequest {
  tool: string;
  params: Params;
  /** Price with this account's plan (included options). */
  account?: AccountId;
  /** Price with this plan; `account` takes precedence. */
  plan?: string;
}

/**
 * Who spends on a team account (required there; refused on a personal account) and the
 * project it is for (optional); the team's budgets apply (BudgetExceeded).
 */
export interface TeamDebit {
  member?: UserId;
  project?: ProjectId;
}

/** A hold priced from `tool` and `params`, or a plain `amount` (with an optional tool). */
export type HoldRequest =
  | ({account: AccountId; tool: string; params: Params; ttl_s?: number; amount?: never} & TeamDebit)
  | ({account: AccountId; amount: AmountInput; tool?: string; ttl_s?: number; params?: never} & TeamDebit);

export type SpendRequest =
  | ({account: AccountId; tool: string; params: Params; amount?: never; outcome?: Outcome} & TeamDebit)
  | ({account: AccountId; amount: AmountInput; tool?: string; params?: never; outcome?: Outcome} & TeamDebit);

/** At most one of `usage` (actual usage, priced with the hold's book) and `amount`. */
export interface CaptureRequest {
  usage?: Params;
  amount?: AmountInput;
  outcome?: Outcome;
}

export interface ReleaseRequest {
  reason?: string;
}

export interface RefundRequest {
  /** Default: the whole unrefunded rest of the spend. */
  amount?: AmountInput;
  reason: string;
}

export interface PurchaseRequest {
  account: AccountId;
  pack: string;
  currency: string;
  region?: string;
  payment_ref: string;
}

export interface VoidRequest {
  reason: string;
}

export interface KeyRequest {
  name: string;
  /** Default `service`. */
  scope?: KeyScope;
  /** Default: never expires. */
  expires_at?: Time;
}

export interface RotateKeyRequest {
  /** Seconds the secrets in use keep working, 0 to 2592000; 0 ends them at once. */
  overlap_s: number;
}

export interface WebhookRequest {
  /** `http://` or `https://`. */
  url: string;
  /** Default: every type. */
  event_types?: WebhookEventType[];
  description?: string;
}

export interface RotateWebhookSecretRequest {
  /** Seconds the old secret keeps signing, 0 to 2592000; default 86400. */
  overlap_s?: number;
}

export type WebhookDeliveriesQuery = {
  /** 1 to 1000; default 100. */
  limit?: number;
};

/** Exactly one of the two. */
export type TokenRevokeRequest = {token_id: string; all?: never} | {all: true; token_id?: never};

export interface AccountsQuery {
  /** Only ids that start with it. */
  prefix?: string;
  /** Only accounts subscribed to this plan. */
  plan?: string;
  /** Only team accounts, or only personal ones. */
  kind?: 'team' | 'personal';
  /** The previous page's `next_cursor`. */
  cursor?: AccountId;
  /** 1 to 1000; default 100. */
  limit?: number;
}

export interface ClockRequest {
  now: Time;
}

export interface BatchItem {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A `/v1/...` path with its query. */
  path: string;
  body?: Record<string, unknown>;
  /** Generated by the client for POST, PUT and DELETE items that have none. */
  idempotency_key?: string;
}

export interface BatchRequest {
  requests: BatchItem[];
}

export interface BatchReply {
  responses: Array<{status: number; body: Record<string, unknown> | null}>;
}

export interface EntriesQuery {
  /** 1 to 1000; default 100. */
  limit?: number;
  /** Entries with a `seq` greater than this (the previous page's `next_after`). */
  after?: number;
  /** A team account's entries of this member only. */
  member?: UserId;
  /** A team account's entries of this project only. */
  project?: ProjectId;
  /** 'operation': one line per operation (`operations`; `limit` counts them). */
  group?: 'entry' | 'operation';
}

export interface TeamUsageQuery {
  /** RFC 3339, included. */
  from: Time;
  /** RFC 3339, excluded; after `from`. */
  to: Time;
}

export interface MemberUsage {
  member: UserId;
  used: Amount;
  used_micro: AmountMicro;
}

export interface ProjectUsage {
  project: ProjectId;
  used: Amount;
  used_micro: AmountMicro;
}

/** What a team's debits took in [from, to), net of releases and refunds. */
export interface TeamUsage {
  account: AccountId;
  from: Time;
  to: Time;
  used: Amount;
  used_micro: AmountMicro;
  by_member: MemberUsage[];
  by_project: ProjectUsage[];
}

export interface ForecastQuery {
  /** ISO 4217 code of the plan and pack prices compared; default `USD`. */
  currency?: string;
}

/** Money in major units as text (may be negative: a saving that is a cost). */
export interface MoneyAmount {
  amount: string;
  currency: string;
}

export interface BurnRate {
  window_days: number;
  consumed: Amount;
  consumed_micro: AmountMicro;
  per_day: Amount;
  per_day_micro: AmountMicro;
  /** null: nothing is being consumed. */
  runs_out_at: Time | null;
  expires_unused: Amount;
  expires_unused_micro: AmountMicro;
}

export interface PeriodUse {
  start: Time;
  end: Time;
  used: Amount;
  used_micro: AmountMicro;
}

export interface PackChoice {
  items: {pack: string; count: number}[];
  credits: Amount;
  credits_micro: AmountMicro;
  price: MoneyAmount;
}

/** Amisi's rule over the last complete periods (docs/reports.md). */
export interface Advice {
  kind: 'stay' | 'buy_packs' | 'upgrade';
  why: string;
  plan: string | null;
  allocation: Amount;
  allocation_micro: AmountMicro;
  periods: PeriodUse[];
  periods_over: number;
  need: Amount;
  need_micro: AmountMicro;
  upgrade_plan: string | null;
  upgrade_price: MoneyAmount | null;
  stay_price: MoneyAmount | null;
  saves: MoneyAmount | null;
  packs: PackChoice | null;
}

/** When an account's credits run out at its 7- and 30-day rates, and what to buy. */
export interface Forecast {
  account: AccountId;
  as_of: Time;
  available: Amount;
  available_micro: AmountMicro;
  rates: BurnRate[];
  advice: Advice;
}

export interface TopAccountsQuery {
  /** RFC 3339, included. */
  from: Time;
  /** RFC 3339, excluded; after `from`. */
  to: Time;
  /** 1 to 100; default 10. */
  limit?: number;
}

/** An account's use over a period: captures and spends less refunds of spends. */
export interface AccountUse {
  account: AccountId;
  used: Amount;
  used_micro: AmountMicro;
}

/** The accounts that used most over a period, most first. */
export interface TopAccounts {
  from: Time;
  to: Time;
  accounts: AccountUse[];
}

export interface FinanceQuery {
  /** RFC 3339, included. */
  from: Time;
  /** RFC 3339, excluded; after `from`. */
  to: Time;
  /** ISO 4217 code (`USD`). */
  currency: string;
  /** JSON only here: `getFinanceReportCsv` asks for `format=csv` and answers the CSV text. */
  format?: 'json';
}

/** Paid credits of one currency over a period, in money and in credits. */
export interface FinancePaid {
  /** Money in major units ("9.99"). */
  received: string;
  received_minor: number;
  received_credits: Amount;
  received_credits_micro: AmountMicro;
  /** Money in major units ("9.99"). */
  recognized: string;
  recognized_minor: number;
  recognized_credits: Amount;
  recognized_credits_micro: AmountMicro;
  /** Money in major units ("9.99"). */
  breakage: string;
  breakage_minor: number;
  breakage_credits: Amount;
  breakage_credits_micro: AmountMicro;
  /** Money in major units ("9.99"). */
  refunded: string;
  refunded_minor: number;
  refunded_credits: Amount;
  refunded_credits_micro: AmountMicro;
  /** Money in major units ("9.99"). */
  deferred_opening: string;
  deferred_opening_minor: number;
  deferred_opening_credits: Amount;
  deferred_opening_credits_micro: AmountMicro;
  /** Money in major units ("9.99"). */
  deferred_closing: string;
  deferred_closing_minor: number;
  deferred_closing_credits: Amount;
  deferred_closing_credits_micro: AmountMicro;
}

/** Credits without a cost basis of one source over a period. */
export interface FinanceFree {
  source: string;
  issued: Amount;
  issued_micro: AmountMicro;
  consumed: Amount;
  consumed_micro: AmountMicro;
  expired: Amount;
  expired_micro: AmountMicro;
  voided: Amount;
  voided_micro: AmountMicro;
  outstanding_opening: Amount;
  outstanding_opening_micro: AmountMicro;
  outstanding_closing: Amount;
  outstanding_closing_micro: AmountMicro;
}

/** The finance report of [from, to) in one currency (docs/reports.md). */
export interface FinanceReport {
  from: Time;
  to: Time;
  currency: string;
  paid: FinancePaid;
  paid_lots: number;
  free: FinanceFree[];
  rolled_over: Amount;
  rolled_over_micro: AmountMicro;
  other_currencies: string[];
}

export interface BalanceQuery {
  /** RFC 3339; default now. */
  as_of?: Time;
}

// --- events and alerts (docs/events.md) ---------------------------------------------------

export type EventType =
  | 'balance.low' | 'balance.depleted' | 'credits.expiring' | 'credits.expired'
  | 'hold.timed_out' | 'subscription.renewed' | 'subscription.past_due'
  | 'purchase.completed' | 'purchase.voided' | 'refund.created' | 'auto_topup.requested'
  | 'webhook.disabled';

/**
 * What the ledger tells the world happened, durable with the change that caused it; or a
 * platform event (`webhook.disabled`, `account` null; docs/events.md "Platform events").
 */
export interface TallyEvent {
  /** Unique; orders the events of one account. */
  id: string;
  type: EventType;
  at: Time;
  account: AccountId | null;
  /** By type (docs/events.md); amounts as decimal strings, ids as strings. */
  data: Record<string, unknown>;
}

export interface EventPage {
  events: TallyEvent[];
  /**
   * Pass as `after` for the next page. Of `listEvents`: the position in every shard, always
   * set; of `listAccountEvents`: the last event's id, `null` when the page is empty.
   */
  next_after: string | null;
  /** Another page may follow at once; when false, poll again later. */
  has_more: boolean;
}

export interface EventsQuery {
  /** Only these types (default every type). */
  types?: EventType[] | string;
  /** 1 to 1000; default 100. */
  limit?: number;
  /** The previous page's `next_after`. */
  after?: string;
}

export type PlatformEventsQuery = {
  /** The id of the last platform event read (a page's `next_after`). */
  after?: string;
  /** 1 to 1000; default 100. */
  limit?: number;
};

export interface AlertsRequest {
  /** balance.low when available credits fall below it; "0" for none; absent or null: the plan's. */
  low_balance?: AmountInput | null;
  /** credits.expiring this long before a lot expires (e.g. "P3D"); "PT0S" for none. */
  expiring_notice?: Duration | null;
}

/** The alert settings in force and where each comes from. */
export interface Alerts {
  account: AccountId;
  /** The balance.low threshold; `null` when there is none. */
  low_balance: Amount | null;
  low_balance_micro?: AmountMicro;
  low_balance_from: 'account' | 'plan';
  expiring_notice: Duration | null;
  expiring_notice_from: 'account' | 'plan';
  /** Whether this caller may change them (a key; a token when the platform's [tokens] allows). */
  editable: boolean;
}

// --- auto top-up (docs/events.md "Auto top-up") ---------------------------------------------

export interface AutoTopupRequestBody {
  /** auto_topup.requested when available credits fall below it (> 0). */
  below: AmountInput;
  /** The pack to sell (GET /v1/packs). */
  pack: string;
  /** ISO 4217; the pack must be sold in it. */
  currency: string;
  /** The region whose price applies; default the price for any region. */
  region?: string;
}

/** The outstanding request: post the purchase with its `payment_ref`. */
export interface AutoTopupRequest {
  id: Id;
  payment_ref: string;
  expires_at: Time;
}

/** An account's auto top-up; off: `enabled` false and nothing else. */
export interface AutoTopup {
  account: AccountId;
  /** Whether this caller may change it (a key; a token when the platform's [tokens] allows). */
  editable: boolean;
  enabled: boolean;
  below?: Amount;
  below_micro?: AmountMicro;
  pack?: string;
  currency?: string;
  region?: string | null;
  /** The pack's price now in currency units ("9.99"); null if it is no longer sold so. */
  price?: string | null;
  credits?: Amount | null;
  credits_micro?: AmountMicro;
  request?: AutoTopupRequest | null;
  /** Requests failed or timed out in a row. */
  failures?: number;
  /** When the ledger asks again if the account is still below; null unless backing off. */
  retry_at?: Time | null;
}

export interface AutoTopupEndRequest {
  reason?: string;
}

// --- team accounts: members and budgets (docs/api.md "Teams") ------------------------------

/** A user of the platform, a member of a team account. */
export type UserId = string;
/** A project of a team account, an id of the platform's choosing. */
export type ProjectId = string;
export type BudgetId = string;

/** owner and admin manage members and budgets; member spends; viewer reads only. */
export type Role = 'owner' | 'admin' | 'member' | 'viewer';
export type BudgetPeriod = 'P1D' | 'P1W' | 'P1M';
/** hard refuses a debit past the limit; soft lets it through and marks `exceeded`. */
export type BudgetMode = 'hard' | 'soft';

/** A member of a team account; a removed one as it was. */
export interface Member {
  account: AccountId;
  user: UserId;
  role: Role;
  added_at: Time;
}

export interface MemberList {
  account: AccountId;
  /** In the order they were added. */
  members: Member[];
}

export interface AddMemberRequest {
  user: UserId;
  /** Default `member`. */
  role?: Role;
}

export interface SetMemberRoleRequest {
  role: Role;
}

/** A budget with its usage in the current period, as of the shard's time. */
export interface Budget {
  account: AccountId;
  id: BudgetId;
  /** The member it binds; `null` for any member. */
  member: UserId | null;
  /** The project it binds; `null` for any project. */
  project: ProjectId | null;
  limit: Amount;
  limit_micro: AmountMicro;
  period: BudgetPeriod;
  anchor: Time;
  mode: BudgetMode;
  /** Usage at which a debit emits `budget.threshold_reached` (once a period); `null`: none. */
  alert_at: Amount | null;
  alert_at_micro?: AmountMicro;
  period_start: Time;
  period_end: Time;
  /** Debits from then on count: the period's start, or the budget's creation. */
  counting_from: Time;
  used: Amount;
  used_micro: AmountMicro;
  left: Amount;
  left_micro: AmountMicro;
  /** Usage passed the limit in this period (a soft budget's crossing). */
  exceeded: boolean;
  /** Usage reached `alert_at` in this period (or was past it when it was set). */
  threshold_reached: boolean;
  created_at: Time;
}

export interface BudgetList {
  account: AccountId;
  as_of: Time;
  /** In the order they were made. */
  budgets: Budget[];
}

/** Names a member, a project or both (that member within that project). */
export interface AddBudgetRequest {
  id: BudgetId;
  member?: UserId;
  project?: ProjectId;
  limit: AmountInput;
  period: BudgetPeriod;
  /** A period boundary; default the calendar one in UTC. */
  anchor?: Time;
  /** Default `hard`. */
  mode?: BudgetMode;
  /** Usage at which a debit emits `budget.threshold_reached`, once a period; `"0"`: none. */
  alert_at?: AmountInput;
}

/** At least one; usage so far stays. A new `alert_at` is armed from the usage now. */
export interface UpdateBudgetRequest {
  limit?: AmountInput;
  mode?: BudgetMode;
  alert_at?: AmountInput;
}

export interface BudgetsQuery {
  /** Only the budgets that bind this member (its own and those of any member). */
  member?: UserId;
  /** Only the budgets that bind this project. */
  project?: ProjectId;
}

/** `BudgetExceeded.budget`: the hard budget that refused a debit, and where it stood. */
export interface BudgetRefusal {
  id: BudgetId;
  limit: Amount;
  limit_micro: AmountMicro;
  used: Amount;
  used_micro: AmountMicro;
  left: Amount;
  left_micro: AmountMicro;
}
