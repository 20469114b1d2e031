// A typed client for every operation of docs/openapi.yaml, for Node 18+ and browsers, on the
// global fetch. Exactly once by default: each call that changes the ledger gets a fresh
// Idempotency-Key, and every retry of that call (connection errors, 5xx, 503) sends the same
// key, so the server answers a retry with its first reply instead of acting twice. 4xx
// answers are never retried; they become the error classes of errors.ts.
import {amountToWire, type AmountInput} from './amount.js';
import {ConnectionError, problemError, TallyError} from './errors.js';
import {parseJson, stringifyJson} from './json.js';
import type * as T from './types.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** `required`: the client sends a key (generated unless given); `optional`: only one given. */
type KeyRule = 'required' | 'optional' | 'none';

interface Route {
  readonly method: Method;
  readonly path: string;
  readonly key: KeyRule;
  /** False where a retry would act twice without a key (a second key or secret). */
  readonly retry: boolean;
}

const route = (method: Method, path: string, key: KeyRule = 'none', retry = true): Route =>
  ({method, path, key, retry});

/** Every operation of docs/openapi.yaml by its operationId: the request the client sends. */
export const ROUTES = {
  openAccount: route('POST', '/v1/accounts', 'required'),
  listAccounts: route('GET', '/v1/accounts'),
  getAccount: route('GET', '/v1/accounts/{id}'),
  listEntries: route('GET', '/v1/accounts/{id}/entries'),
  getBalance: route('GET', '/v1/accounts/{id}/balance'),
  grantCredits: route('POST', '/v1/accounts/{id}/grants', 'required'),
  subscribe: route('PUT', '/v1/accounts/{id}/subscription', 'required'),
  cancelSubscription: route('DELETE', '/v1/accounts/{id}/subscription', 'required'),
  markPastDue: route('POST', '/v1/accounts/{id}/subscription/past_due', 'required'),
  resumeSubscription: route('POST', '/v1/accounts/{id}/subscription/resume', 'required'),
  claimDailyReward: route('POST', '/v1/accounts/{id}/rewards/daily', 'required'),
  createToken: route('POST', '/v1/accounts/{id}/tokens'),
  // Not a ledger change (no key); the server documents a repeat as harmless.
  revokeTokens: route('POST', '/v1/accounts/{id}/tokens/revoke'),
  quote: route('POST', '/v1/quotes'),
  createHold: route('POST', '/v1/holds', 'required'),
  getHold: route('GET', '/v1/holds/{id}'),
  captureHold: route('POST', '/v1/holds/{id}/capture', 'required'),
  releaseHold: route('POST', '/v1/holds/{id}/release', 'required'),
  createSpend: route('POST', '/v1/spends', 'required'),
  getSpend: route('GET', '/v1/spends/{id}'),
  refundSpend: route('POST', '/v1/spends/{id}/refunds', 'required'),
  markSpendOutcome: route('POST', '/v1/spends/{id}/outcome', 'required'),
  createPurchase: route('POST', '/v1/purchases', 'optional'),
  voidPurchase: route('POST', '/v1/purchases/{id}/void', 'required'),
  voidLot: route('POST', '/v1/lots/{id}/void', 'required'),
  getPricing: route('GET', '/v1/pricing'),
  getPlans: route('GET', '/v1/plans'),
  getPacks: route('GET', '/v1/packs'),
  batch: route('POST', '/v1/batch'),
  // The server takes no Idempotency-Key for keys: a repeated create or rotate would mint
  // another secret, a repeated revoke answers 404 for the key it revoked. Never retried.
  createKey: route('POST', '/v1/keys', 'none', false),
  listKeys: route('GET', '/v1/keys'),
  revokeKey: route('DELETE', '/v1/keys/{id}', 'none', false),
  rotateKey: route('POST', '/v1/keys/{id}/rotate', 'none', false),
  listEvents: route('GET', '/v1/events'),
  listAccountEvents: route('GET', '/v1/accounts/{id}/events'),
  getAlerts: route('GET', '/v1/accounts/{id}/alerts'),
  setAlerts: route('PUT', '/v1/accounts/{id}/alerts', 'required'),
  getAutoTopup: route('GET', '/v1/accounts/{id}/auto_topup'),
  setAutoTopup: route('PUT', '/v1/accounts/{id}/auto_topup', 'required'),
  disableAutoTopup: route('DELETE', '/v1/accounts/{id}/auto_topup', 'required'),
  failAutoTopup: route('POST', '/v1/auto_topups/{id}/fail', 'required'),
  cancelAutoTopup: route('POST', '/v1/auto_topups/{id}/cancel', 'required'),
  addMember: route('POST', '/v1/accounts/{id}/members', 'required'),
  listMembers: route('GET', '/v1/accounts/{id}/members'),
  setMemberRole: route('PATCH', '/v1/accounts/{id}/members/{user}', 'required'),
  removeMember: route('DELETE', '/v1/accounts/{id}/members/{user}', 'required'),
  addBudget: route('POST', '/v1/accounts/{id}/budgets', 'required'),
  listBudgets: route('GET', '/v1/accounts/{id}/budgets'),
  getBudget: route('GET', '/v1/accounts/{id}/budgets/{budget}'),
  getTeamUsage: route('GET', '/v1/accounts/{id}/usage'),
  getFinanceReport: route('GET', '/v1/reports/finance'),
  getTopAccounts: route('GET', '/v1/reports/top-accounts'),
  getForecast: route('GET', '/v1/accounts/{id}/forecast'),
  updateBudget: route('PATCH', '/v1/accounts/{id}/budgets/{budget}', 'required'),
  removeBudget: route('DELETE', '/v1/accounts/{id}/budgets/{budget}', 'required'),
  // Webhooks (admin key), no Idempotency-Key: a repeated create or rotate would register
  // another endpoint or mint another secret, a repeated delete answers 404. Never retried.
  createWebhook: route('POST', '/v1/webhooks', 'none', false),
  listWebhooks: route('GET', '/v1/webhooks'),
  getWebhook: route('GET', '/v1/webhooks/{id}'),
  deleteWebhook: route('DELETE', '/v1/webhooks/{id}', 'none', false),
  rotateWebhookSecret: route('POST', '/v1/webhooks/{id}/rotate_secret', 'none', false),
  enableWebhook: route('POST', '/v1/webhooks/{id}/enable'),
  listWebhookDeliveries: route('GET', '/v1/webhooks/{id}/deliveries'),
  redeliverWebhookEvent: route('POST', '/v1/webhooks/{id}/deliveries/{event_id}/redeliver'),
  listPlatformEvents: route('GET', '/v1/platform/events'),
  setClock: route('POST', '/v1/admin/clock'),
  // Reading the file again twice is harmless: retried like a read.
  reloadConfig: route('POST', '/v1/admin/reload'),
  listAudit: route('GET', '/v1/audit'),
  health: route('GET', '/healthz'),
  metrics: route('GET', '/metrics'),
} as const;

export type OperationId = keyof typeof ROUTES;

export interface RetryPolicy {
  /** Retries after the first attempt; default 4. */
  maxRetries?: number;
  /** First backoff; doubled each retry, with jitter; default 100 ms. */
  baseDelayMs?: number;
  /** Backoff ceiling; default 5000 ms. */
  maxDelayMs?: number;
}

export interface ClientOptions {
  /** The server, e.g. "http://127.0.0.1:8080" (no trailing /v1). */
  baseUrl: string;
  /** An admin or service key, or an end-user token (reads its own account only). */
  apiKey?: string;
  retry?: RetryPolicy;
  /** Per attempt; default 30000 ms. */
  timeoutMs?: number;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Prefix of generated Idempotency-Keys; default "ts". */
  keyPrefix?: string;
}

export interface CallOptions {
  /**
   * The key of this logical operation. Default: a fresh random key per call, reused by the
   * call's own retries. Pass your own (e.g. "job-42-capture") to stay exactly-once across
   * process restarts.
   */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

interface Request {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
}

type Crypto = {randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array};
let nodeCrypto: Promise<Crypto | undefined> | undefined;

/**
 * A random key in the API's key alphabet, from crypto.randomUUID: the global one (browsers,
 * Node 19+), else node:crypto's (Node 18, where the global needs a flag).
 */
/** An events query as the server wants it: `types` comma-separated. */
function eventsQuery(q: T.EventsQuery): Record<string, string | number | undefined> {
  const types = Array.isArray(q.types) ? q.types.join(',') : q.types;
  return {types, limit: q.limit, after: q.after};
}

export async function newIdempotencyKey(prefix = 'ts'): Promise<string> {
  let c = (globalThis as {crypto?: Crypto}).crypto;
  if (!c?.randomUUID) {
    // The specifier is built so bundlers for browsers leave it alone; browsers have the global.
    const specifier = ['node', 'crypto'].join(':');
    nodeCrypto ??= import(specifier).then((m: {webcrypto?: Crypto}) => m.webcrypto, () => undefined);
    c = (await nodeCrypto) ?? c;
  }
  if (c?.randomUUID) return `${prefix}-${c.randomUUID()}`;
  if (!c?.getRandomValues) throw new Error('no crypto.getRandomValues: cannot make an Idempotency-Key');
  const bytes = c.getRandomValues(new Uint8Array(16));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const AMOUNT_FIELDS = ['amount', 'allocation', 'low_balance', 'below', 'limit'];

/** A request body with its amounts written as decimal strings (a bigint is micro-credits). */
function encodeBody(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {...(body as Record<string, unknown>)};
  for (const f of AMOUNT_FIELDS) {
    if (out[f] !== undefined && out[f] !== null) out[f] = amountToWire(out[f] as AmountInput);
  }
  return out;
}

/** The route a method and path (with or without a query) go to, if any. */
function routeOf(method: string, path: string): Route | undefined {
  const bare = path.split('?')[0];
  return Object.values(ROUTES).find((r: Route) =>
    r.method === method && new RegExp('^' + r.path.replace(/\{\w+\}/g, '[^/]+') + '$').test(bare));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class TallyClient {
  private readonly options: ClientOptions;
  private readonly baseUrl: string;

  constructor(options: ClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** The same server with another credential, e.g. an end-user token from createToken. */
  withApiKey(apiKey: string): TallyClient {
    return new TallyClient({...this.options, apiKey});
  }

  /** A client that reads as the end user of `token` (its own account, entries, balance). */
  forUser(token: T.UserToken | string): TallyClient {
    return this.withApiKey(typeof token === 'string' ? token : token.token);
  }

  // --- accounts --------------------------------------------------------------------------

  openAccount(body: T.OpenAccountRequest, options?: CallOptions): Promise<T.Account> {
    return this.call('openAccount', {body}, options);
  }
  /** One page of accounts in byte order of ids (admin or service key). See `accounts`. */
  listAccounts(query: T.AccountsQuery = {}, options?: CallOptions): Promise<T.AccountPage> {
    const {prefix, plan, kind, cursor, limit} = query;
    return this.call('listAccounts', {query: {prefix, plan, kind, cursor, limit}}, options);
  }
  /** Every account matching `prefix` and `plan`, in byte order of ids, a page at a time. */
  async *accounts(query: Omit<T.AccountsQuery, 'cursor'> = {}, options?: CallOptions): AsyncGenerator<T.AccountSummary> {
    let cursor: T.AccountId | null | undefined = undefined;
    do {
      const page: T.AccountPage = await this.listAccounts({...query, cursor}, options);
      for (const account of page.accounts) yield account;
      cursor = page.next_cursor;
    } while (cursor !== null);
  }
  getAccount(id: T.AccountId, options?: CallOptions): Promise<T.Account> {
    return this.call('getAccount', {params: {id}}, options);
  }
  /** One page of history, oldest first. See `entries` to walk every page. */
  listEntries(id: T.AccountId, query: T.EntriesQuery = {}, options?: CallOptions): Promise<T.EntryPage> {
    const {limit, after, member, project, group} = query;
    return this.call('listEntries', {params: {id}, query: {limit, after, member, project, group}}, options);
  }
  /** Every entry after `after` (default all), oldest first, fetched a page at a time. */
  async *entries(id: T.AccountId, query: T.EntriesQuery = {}, options?: CallOptions): AsyncGenerator<T.Entry> {
    let after: number | null = query.after ?? 0;
    while (after !== null) {
      const page: T.EntryPage = await this.listEntries(id, {...query, group: 'entry', after}, options);
      for (const entry of page.entries ?? []) yield entry;
      after = page.next_after;
    }
  }
  getBalance(id: T.AccountId, query: T.BalanceQuery = {}, options?: CallOptions): Promise<T.BalanceAt> {
    return this.call('getBalance', {params: {id}, query: {as_of: query.as_of}}, options);
  }
  /** Admin only. */
  grantCredits(id: T.AccountId, body: T.GrantRequest, options?: CallOptions): Promise<T.Lot> {
    return this.call('grantCredits', {params: {id}, body}, options);
  }

  // --- subscriptions and rewards -----------------------------------------------------------

  subscribe(id: T.AccountId, body: T.SubscribeRequest, options?: CallOptions): Promise<T.SubscriptionChange> {
    return this.call('subscribe', {params: {id}, body}, options);
  }
  cancelSubscription(id: T.AccountId, options?: CallOptions): Promise<T.SubscriptionChange> {
    return this.call('cancelSubscription', {params: {id}}, options);
  }
  markPastDue(id: T.AccountId, options?: CallOptions): Promise<T.SubscriptionChange> {
    return this.call('markPastDue', {params: {id}, body: {}}, options);
  }
  resumeSubscription(id: T.AccountId, options?: CallOptions): Promise<T.SubscriptionChange> {
    return this.call('resumeSubscription', {params: {id}, body: {}}, options);
  }
  claimDailyReward(id: T.AccountId, options?: CallOptions): Promise<T.DailyReward> {
    return this.call('claimDailyReward', {params: {id}, body: {}}, options);
  }

  // --- auth --------------------------------------------------------------------------------

  /** Mints an end-user token (no key needed: a retry mints another, equally valid). */
  createToken(id: T.AccountId, body: T.TokenRequest = {}, options?: CallOptions): Promise<T.UserToken> {
    return this.call('createToken', {params: {id}, body}, options);
  }
  /**
   * Revokes one token of the account (`{token_id}`, the id it was issued with) or every token
   * issued before now (`{all: true}`); in force for the next request. Admin or service key.
   */
  revokeTokens(id: T.AccountId, body: T.TokenRevokeRequest, options?: CallOptions): Promise<T.TokenRevocation> {
    return this.call('revokeTokens', {params: {id}, body}, options);
  }
  /** Admin only. Never retried: a retry would make a second key. */
  createKey(body: T.KeyRequest, options?: CallOptions): Promise<T.ApiKeyWithSecret> {
    return this.call('createKey', {body}, options);
  }
  /** Admin only: the keys not revoked, oldest first, the admin key among them; no secrets. */
  listKeys(options?: CallOptions): Promise<T.KeyList> {
    return this.call('listKeys', {}, options);
  }
  /**
   * Admin only: every secret of the key is refused from the next request on. Never retried:
   * a repeat answers 404 (NotFoundError) for the key it revoked; `listKeys` tells.
   */
  revokeKey(id: string, options?: CallOptions): Promise<T.RevokedKey> {
    return this.call('revokeKey', {params: {id}}, options);
  }
  /**
   * Admin only: a new secret (`key`, shown once); the secrets in use keep working until
   * `previous_valid_until`. Never retried: a repeat would mint another secret.
   */
  rotateKey(id: string, body: T.RotateKeyRequest, options?: CallOptions): Promise<T.ApiKeyWithSecret> {
    return this.call('rotateKey', {params: {id}, body}, options);
  }

  // --- webhooks (docs/webhooks.md; admin key) ---------------------------------------------

  /**
   * Registers an endpoint for the events from now on (`event_types` absent: every type). The
   * signing secret is in `secret`, shown once. Never retried: a repeat registers another.
   */
  createWebhook(body: T.WebhookRequest, options?: CallOptions): Promise<T.WebhookWithSecret> {
    return this.call('createWebhook', {body}, options);
  }
  listWebhooks(options?: CallOptions): Promise<T.WebhookList> {
    return this.call('listWebhooks', {}, options);
  }
  getWebhook(id: string, options?: CallOptions): Promise<T.Webhook> {
    return this.call('getWebhook', {params: {id}}, options);
  }
  /** Deletes the endpoint for good. Never retried: a repeat answers 404 (NotFoundError). */
  deleteWebhook(id: string, options?: CallOptions): Promise<T.Webhook> {
    return this.call('deleteWebhook', {params: {id}}, options);
  }
  /**
   * A new signing secret (`secret`, shown once); the old one signs beside it for `overlap_s`
   * seconds (default 86400). Never retried: a repeat would mint another secret.
   */
  rotateWebhookSecret(id: string, body: T.RotateWebhookSecretRequest = {}, options?: CallOptions): Promise<T.WebhookWithSecret> {
    return this.call('rotateWebhookSecret', {params: {id}, body}, options);
  }
  /** Delivers again to a disabled endpoint, from where it stopped. */
  enableWebhook(id: string, options?: CallOptions): Promise<T.Webhook> {
    return this.call('enableWebhook', {params: {id}}, options);
  }
  /** The endpoint's delivery attempts, newest first. */
  listWebhookDeliveries(id: string, query: T.WebhookDeliveriesQuery = {}, options?: CallOptions): Promise<T.WebhookDeliveries> {
    return this.call('listWebhookDeliveries', {params: {id}, query}, options);
  }
  /** Sends one event to the endpoint again, out of turn (queued: see the deliveries). */
  redeliverWebhookEvent(id: string, eventId: T.Id, options?: CallOptions): Promise<T.Redelivery> {
    return this.call('redeliverWebhookEvent', {params: {id, event_id: eventId}}, options);
  }
  /** Events about the platform (`webhook.disabled`), oldest first; `next_after` is null when empty. */
  listPlatformEvents(query: T.PlatformEventsQuery = {}, options?: CallOptions): Promise<T.EventPage> {
    return this.call('listPlatformEvents', {query}, options);
  }

  // --- pricing and jobs --------------------------------------------------------------------

  quote(body: T.QuoteRequest, options?: CallOptions): Promise<T.Quote> {
    return this.call('quote', {body}, options);
  }
  /** 201 an active hold, or 200 an IncludedJob when the job costs 0 under the plan. */
  createHold(body: T.HoldRequest, options?: CallOptions): Promise<T.Hold | T.IncludedJob> {
    return this.call('createHold', {body}, options);
  }
  getHold(id: T.Id, options?: CallOptions): Promise<T.Hold> {
    return this.call('getHold', {params: {id}}, options);
  }
  /** An empty body captures the whole hold; `usage` prices the actual usage. */
  captureHold(id: T.Id, body: T.CaptureRequest = {}, options?: CallOptions): Promise<T.Capture> {
    return this.call('captureHold', {params: {id}, body}, options);
  }
  releaseHold(id: T.Id, body: T.ReleaseRequest = {}, options?: CallOptions): Promise<T.Release> {
    return this.call('releaseHold', {params: {id}, body}, options);
  }
  createSpend(body: T.SpendRequest, options?: CallOptions): Promise<T.Spend | T.IncludedJob> {
    return this.call('createSpend', {body}, options);
  }
  getSpend(id: T.Id, options?: CallOptions): Promise<T.Spend> {
    return this.call('getSpend', {params: {id}}, options);
  }
  refundSpend(id: T.Id, body: T.RefundRequest, options?: CallOptions): Promise<T.Refund> {
    return this.call('refundSpend', {params: {id}, body}, options);
  }
  /** Marks what a spend's output turned out to be, once (for a captured hold: its capture's spend). */
  markSpendOutcome(id: T.Id, body: T.OutcomeRequest, options?: CallOptions): Promise<T.SpendOutcome> {
    return this.call('markSpendOutcome', {params: {id}, body}, options);
  }

  // --- purchases and voids -----------------------------------------------------------------

  /** `payment_ref` is the purchase's identity; an Idempotency-Key is sent only if given. */
  createPurchase(body: T.PurchaseRequest, options?: CallOptions): Promise<T.Purchase> {
    return this.call('createPurchase', {body}, options);
  }
  /** Admin only. */
  voidPurchase(id: T.Id, body: T.VoidRequest, options?: CallOptions): Promise<T.PurchaseVoid> {
    return this.call('voidPurchase', {params: {id}, body}, options);
  }
  /** Admin only. */
  voidLot(id: T.Id, body: T.VoidRequest, options?: CallOptions): Promise<T.LotVoid> {
    return this.call('voidLot', {params: {id}, body}, options);
  }

  // --- catalog (no credential) -------------------------------------------------------------

  getPricing(options?: CallOptions): Promise<T.PriceTable> {
    return this.call('getPricing', {}, options);
  }
  getPlans(options?: CallOptions): Promise<T.Plans> {
    return this.call('getPlans', {}, options);
  }
  getPacks(options?: CallOptions): Promise<T.Packs> {
    return this.call('getPacks', {}, options);
  }

  // --- batch and operations ----------------------------------------------------------------

  /**
   * Many requests in one round trip. Items that change something (POST, PUT, DELETE) get a
   * generated `idempotency_key` when they have none, so a retried batch acts once.
   */
  async batch(body: T.BatchRequest, options?: CallOptions): Promise<T.BatchReply> {
    const prefix = this.options.keyPrefix ?? 'ts';
    const requests = await Promise.all(body.requests.map(async (r) => ({
      ...r,
      body: r.body === undefined ? undefined : encodeBody(r.body),
      idempotency_key: r.idempotency_key ??
        (routeOf(r.method, r.path)?.key === 'required' ? await newIdempotencyKey(prefix) : undefined),
    })));
    return this.call('batch', {body: {requests}}, options);
  }
  // --- events and alerts (docs/events.md) ------------------------------------------------

  /** One page of every account's events in time order (admin or service key). See `events`. */
  listEvents(query: T.EventsQuery = {}, options?: CallOptions): Promise<T.EventPage> {
    return this.call('listEvents', {query: eventsQuery(query)}, options);
  }
  /** One page of the account's events, oldest first; `after` is an event id. */
  listAccountEvents(id: T.AccountId, query: T.EventsQuery = {}, options?: CallOptions): Promise<T.EventPage> {
    return this.call('listAccountEvents', {params: {id}, query: eventsQuery(query)}, options);
  }
  /**
   * Every event after `query.after` (every account's, or `account`'s), a page at a time, until
   * none is left for now. Keep the last page's `next_after` (`listEvents`) to resume later.
   */
  async *events(query: T.EventsQuery & {account?: T.AccountId} = {}, options?: CallOptions): AsyncGenerator<T.TallyEvent> {
    const {account, ...rest} = query;
    let after: string | null | undefined = rest.after;
    for (;;) {
      const page: T.EventPage = account === undefined
        ? await this.listEvents({...rest, after: after ?? undefined}, options)
        : await this.listAccountEvents(account, {...rest, after: after ?? undefined}, options);
      for (const event of page.events) yield event;
      if (!page.has_more || page.next_after === null) return;
      after = page.next_after;
    }
  }
  /** The alert settings in force: the account's own, or its plan's. */
  getAlerts(id: T.AccountId, options?: CallOptions): Promise<T.Alerts> {
    return this.call('getAlerts', {params: {id}}, options);
  }
  /** Sets the account's own alert settings; a field absent or null is the plan's. */
  setAlerts(id: T.AccountId, body: T.AlertsRequest, options?: CallOptions): Promise<T.Alerts> {
    return this.call('setAlerts', {params: {id}, body}, options);
  }

  // --- auto top-up (docs/events.md "Auto top-up") --------------------------------------

  /** The account's auto top-up settings, the pack's price now and the outstanding request. */
  getAutoTopup(id: T.AccountId, options?: CallOptions): Promise<T.AutoTopup> {
    return this.call('getAutoTopup', {params: {id}}, options);
  }
  /**
   * Turns auto top-up on or changes it: when available credits fall below `below`, the ledger
   * asks for `pack` (an auto_topup.requested event with a `payment_ref`). An account already
   * below is asked for at once.
   */
  setAutoTopup(id: T.AccountId, body: T.AutoTopupRequestBody, options?: CallOptions): Promise<T.AutoTopup> {
    return this.call('setAutoTopup', {params: {id}, body}, options);
  }
  /** Turns auto top-up off; the outstanding request is dropped. */
  disableAutoTopup(id: T.AccountId, options?: CallOptions): Promise<T.AutoTopup> {
    return this.call('disableAutoTopup', {params: {id}}, options);
  }
  /** The charge failed: the request ends, asked again after a backoff while still below. */
  failAutoTopup(id: T.Id, body: T.AutoTopupEndRequest = {}, options?: CallOptions): Promise<T.AutoTopup> {
    return this.call('failAutoTopup', {params: {id}, body}, options);
  }
  /** The customer withdrew it: the request ends, with no retry until the next crossing. */
  cancelAutoTopup(id: T.Id, body: T.AutoTopupEndRequest = {}, options?: CallOptions): Promise<T.AutoTopup> {
    return this.call('cancelAutoTopup', {params: {id}, body}, options);
  }

  // --- team accounts: members and budgets (docs/api.md "Teams") ---------------------------

  /**
   * Adds a member to a team account (role default `member`). MemberExists if it is one;
   * LimitExceeded past the plan's `team_members`.
   */
  addMember(id: T.AccountId, body: T.AddMemberRequest, options?: CallOptions): Promise<T.Member> {
    return this.call('addMember', {params: {id}, body}, options);
  }
  /** The team's members, in the order they were added. */
  listMembers(id: T.AccountId, options?: CallOptions): Promise<T.MemberList> {
    return this.call('listMembers', {params: {id}}, options);
  }
  /** Changes a member's role; demoting the last owner is InvalidRequest. */
  setMemberRole(id: T.AccountId, user: T.UserId, body: T.SetMemberRoleRequest, options?: CallOptions): Promise<T.Member> {
    return this.call('setMemberRole', {params: {id, user}, body}, options);
  }
  /**
   * Removes a member (answered as it was): it starts no new hold or spend; its open holds can
   * still be captured or released. Removing the last owner is InvalidRequest.
   */
  removeMember(id: T.AccountId, user: T.UserId, options?: CallOptions): Promise<T.Member> {
    return this.call('removeMember', {params: {id, user}}, options);
  }
  /**
   * Adds a budget for a member, a project or both: at most `limit` per `period`. A hard one
   * (the default) refuses a debit past it with BudgetExceeded; a soft one marks `exceeded`.
   */
  addBudget(id: T.AccountId, body: T.AddBudgetRequest, options?: CallOptions): Promise<T.Budget> {
    return this.call('addBudget', {params: {id}, body}, options);
  }
  /** The team's budgets with their usage in the current period (those binding `member`, `project`). */
  listBudgets(id: T.AccountId, query: T.BudgetsQuery = {}, options?: CallOptions): Promise<T.BudgetList> {
    return this.call('listBudgets', {params: {id}, query: {member: query.member, project: query.project}}, options);
  }
  getBudget(id: T.AccountId, budget: T.BudgetId, options?: CallOptions): Promise<T.Budget> {
    return this.call('getBudget', {params: {id, budget}}, options);
  }
  /** What the team's debits took in [from, to), net of releases and refunds, by member and project. */
  getTeamUsage(id: T.AccountId, query: T.TeamUsageQuery, options?: CallOptions): Promise<T.TeamUsage> {
    return this.call('getTeamUsage', {params: {id}, query: {from: query.from, to: query.to}}, options);
  }
  /**
   * Money received, recognized, deferred, breakage and refunded in one currency, and free
   * credits by source, over [from, to) (admin or service key; docs/reports.md).
   */
  /** The accounts that used most over [from, to), most first (admin or service key). */
  getTopAccounts(query: T.TopAccountsQuery, options?: CallOptions): Promise<T.TopAccounts> {
    return this.call('getTopAccounts', {query: {from: query.from, to: query.to, limit: query.limit}}, options);
  }
  getFinanceReport(query: T.FinanceQuery, options?: CallOptions): Promise<T.FinanceReport> {
    return this.call('getFinanceReport', {query: {from: query.from, to: query.to, currency: query.currency}}, options);
  }
  /** When the account's credits run out at its 7- and 30-day rates, and upgrade-or-buy advice. */
  getForecast(id: T.AccountId, query: T.ForecastQuery = {}, options?: CallOptions): Promise<T.Forecast> {
    return this.call('getForecast', {params: {id}, query: {currency: query.currency}}, options);
  }
  /** The same report as CSV: `figure,source,credits,money,currency`, one line per figure. */
  getFinanceReportCsv(query: Omit<T.FinanceQuery, 'format'>, options?: CallOptions): Promise<string> {
    return this.call('getFinanceReport', {query: {from: query.from, to: query.to, currency: query.currency, format: 'csv'}}, options);
  }
  /** Changes a budget's limit, mode or alert_at; its usage so far stays. */
  updateBudget(id: T.AccountId, budget: T.BudgetId, body: T.UpdateBudgetRequest, options?: CallOptions): Promise<T.Budget> {
    return this.call('updateBudget', {params: {id, budget}, body}, options);
  }
  /** Removes a budget (answered as it was). */
  removeBudget(id: T.AccountId, budget: T.BudgetId, options?: CallOptions): Promise<T.Budget> {
    return this.call('removeBudget', {params: {id, budget}}, options);
  }

  /** Admin only, and only under `tally serve --clock manual`. */
  setClock(body: T.ClockRequest, options?: CallOptions): Promise<T.ClockSet> {
    return this.call('setClock', {body}, options);
  }
  /**
   * Admin only: the server reads its configuration file again (a new price book version,
   * plans, packs, seasons, `[log]`). A file it would not start with rejects with
   * `InvalidConfig` (`errors` says why) and changes nothing.
   */
  reloadConfig(options?: CallOptions): Promise<T.ConfigReload> {
    return this.call('reloadConfig', {}, options);
  }
  /**
   * Who did what (admin or service key): every ledger change with the credential and
   * idempotency key that made it, and every admin action, oldest first. Pass `next_cursor` as
   * `cursor` for the next page.
   */
  listAudit(query: T.AuditQuery = {}, options?: CallOptions): Promise<T.AuditPage> {
    return this.call('listAudit', {query}, options);
  }
  health(options?: CallOptions): Promise<T.Health> {
    return this.call('health', {}, options);
  }
  /** The Prometheus text. */
  metrics(options?: CallOptions): Promise<string> {
    return this.call('metrics', {}, options);
  }

  // --- transport ---------------------------------------------------------------------------

  private url(r: Route, req: Request): string {
    let path = r.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      const v = req.params?.[name];
      if (v === undefined || v === '') throw new TypeError(`${r.path}: no ${name}`);
      return encodeURIComponent(v);
    });
    const q = Object.entries(req.query ?? {}).filter(([, v]) => v !== undefined);
    if (q.length) {
      path += '?' + q.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
    }
    return this.baseUrl + path;
  }

  /** Sends one operation, retrying with backoff on connection errors and 5xx. */
  private async call<R>(op: OperationId, req: Request, options: CallOptions = {}): Promise<R> {
    const r: Route = ROUTES[op];
    const headers: Record<string, string> = {Accept: 'application/json, application/problem+json, text/plain'};
    if (this.options.apiKey) headers.Authorization = `Bearer ${this.options.apiKey}`;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = stringifyJson(encodeBody(req.body));
      headers['Content-Type'] = 'application/json';
    }
    // One key per call, made before the first attempt: every retry sends the same one.
    const key = options.idempotencyKey ??
      (r.key === 'required' ? await newIdempotencyKey(this.options.keyPrefix ?? 'ts') : undefined);
    if (key !== undefined && r.key !== 'none') headers['Idempotency-Key'] = key;

    const policy = this.options.retry ?? {};
    const maxRetries = r.retry ? policy.maxRetries ?? 4 : 0;
    const url = this.url(r, req);
    const doFetch = this.options.fetch ?? fetch;
    for (let attempt = 0; ; ++attempt) {
      let response: Response;
      let text: string;
      const abort = new AbortController();
      const onAbort = () => abort.abort();
      options.signal?.addEventListener('abort', onAbort);
      const timer = setTimeout(() => abort.abort(), this.options.timeoutMs ?? 30000);
      try {
        response = await doFetch(url, {method: r.method, headers, body, signal: abort.signal});
        text = await response.text();  // a connection lost mid-body is retried like any other
      } catch (e) {
        if (options.signal?.aborted) throw e;
        if (attempt >= maxRetries) {
          throw new ConnectionError(`${r.method} ${url}: ${(e as Error)?.message ?? e}`, e);
        }
        await this.backoff(attempt, policy);
        continue;
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      }
      if (response.ok) {
        const type = response.headers.get('content-type') ?? '';
        return (type.includes('json') ? parseJson(text) : text) as R;
      }
      const error = this.problem(response.status, text);
      if (response.status >= 500 && attempt < maxRetries) {
        await this.backoff(attempt, policy);
        continue;
      }
      throw error;
    }
  }

  private problem(status: number, text: string): TallyError {
    try {
      const p = parseJson(text) as T.Problem;
      if (p && typeof p.type === 'string') return problemError(p);
    } catch {
      // not JSON: a proxy's error page, say
    }
    return new TallyError({type: 'http_' + status, title: `HTTP ${status}`, status, detail: text.slice(0, 200)});
  }

  private async backoff(attempt: number, policy: RetryPolicy): Promise<void> {
    const base = policy.baseDelayMs ?? 100;
    const ceiling = policy.maxDelayMs ?? 5000;
    const delay = Math.min(ceiling, base * 2 ** attempt);
    await sleep(delay / 2 + Math.random() * (delay / 2));
  }
}
