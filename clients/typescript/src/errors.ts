// Problems (`application/problem+json`) as error classes, one per stable problem type of
// docs/api.md; `problemError` picks the class from the problem's `type`.
import type {BudgetRefusal, Problem, ProblemType} from './types.js';

/** Any answer of the server that is not a success. */
export class TallyError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly problem: Problem;
  /** The server's id of the request (its `X-Request-Id`): what to look for in its log. */
  readonly requestId: string | undefined;
  constructor(problem: Problem) {
    super(`${problem.status} ${problem.type}: ${problem.detail}`);
    this.name = new.target.name;
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.problem = problem;
    this.requestId = typeof problem.request_id === 'string' ? problem.request_id : undefined;
  }
}

/** The server could not be reached (after every retry). */
export class ConnectionError extends Error {
  readonly cause: unknown;
  constructor(message: string, cause: unknown) {
    super(message);
    this.name = 'ConnectionError';
    this.cause = cause;
  }
}

// 400
export class InvalidRequest extends TallyError {}
export class IdempotencyKeyMissing extends TallyError {}
/** The job cannot be priced; the subclasses say why. */
export class PricingError extends TallyError {}
export class UnknownTool extends PricingError {}
export class UnknownParameter extends PricingError {}
export class UnknownOption extends PricingError {}
export class MissingParameter extends PricingError {}
export class BadValue extends PricingError {}
// 401, 402, 403, 404, 405
export class Unauthorized extends TallyError {}
/** Rule 1: nothing was taken; `shortfall` says how much is missing. */
export class InsufficientCredits extends TallyError {
  /** Credits missing, a decimal string. */
  readonly shortfall: string;
  readonly shortfallMicro: bigint;
  constructor(problem: Problem) {
    super(problem);
    this.shortfall = problem.shortfall ?? '0';
    this.shortfallMicro = problem.shortfall_micro ?? 0n;
  }
}
/**
 * Rule 11: a hard budget of a team account refused the debit whole; nothing was taken.
 * `budget` names it (id, limit, used, left); `shortfall` is what the debit lacks beyond `left`.
 */
export class BudgetExceeded extends TallyError {
  readonly budget: BudgetRefusal;
  /** Credits missing beyond what the budget has left, a decimal string. */
  readonly shortfall: string;
  readonly shortfallMicro: bigint;
  constructor(problem: Problem) {
    super(problem);
    this.budget = problem.budget ??
      {id: '', limit: '0', limit_micro: 0n, used: '0', used_micro: 0n, left: '0', left_micro: 0n};
    this.shortfall = problem.shortfall ?? '0';
    this.shortfallMicro = problem.shortfall_micro ?? 0n;
  }
}
export class Forbidden extends TallyError {}
/** An end-user token changing what the platform's [tokens] does not allow, or past its limits. */
export class EditingNotAllowed extends Forbidden {}
/** A hold or spend on a team account by a user who is not (or no longer) a member. */
export class NotAMember extends Forbidden {}
export class NotFound extends TallyError {}
export class MethodNotAllowed extends TallyError {}
// 409: the ledger's state refuses the request
export class Conflict extends TallyError {}
export class AccountExists extends Conflict {}
export class HoldExpired extends Conflict {}
export class HoldNotActive extends Conflict {}
export class CaptureExceedsHold extends Conflict {}
export class RefundExceedsSpend extends Conflict {}
export class SpendNotRefundable extends Conflict {}
export class LotVoided extends Conflict {}
/** The Idempotency-Key was already used for a different request. */
export class IdempotencyConflict extends Conflict {}
export class PaymentRefUsed extends Conflict {}
export class NotSubscribed extends Conflict {}
export class AlreadyClaimed extends Conflict {}
export class RewardUnavailable extends Conflict {}
export class MemberExists extends Conflict {}
export class BudgetExists extends Conflict {}
export class OutcomeConflict extends Conflict {}
// 413, 415, 422, 500, 503
export class PayloadTooLarge extends TallyError {}
export class UnsupportedMediaType extends TallyError {}
export class LimitExceeded extends TallyError {}
/** `reloadConfig`: the configuration file was not reloaded; nothing changed. */
export class InvalidConfig extends TallyError {
  /** Every message about the file, as a start of the server with it would give them. */
  readonly errors: string[];
  constructor(problem: Problem) {
    super(problem);
    this.errors = Array.isArray(problem.errors) ? problem.errors.map(String) : [];
  }
}
export class Internal extends TallyError {}
export class Unavailable extends TallyError {}

/** The class of every problem type the API documents. */
export const PROBLEM_CLASSES: {readonly [T in ProblemType]: new (p: Problem) => TallyError} = {
  invalid_request: InvalidRequest,
  idempotency_key_missing: IdempotencyKeyMissing,
  unknown_tool: UnknownTool,
  unknown_parameter: UnknownParameter,
  unknown_option: UnknownOption,
  missing_parameter: MissingParameter,
  bad_value: BadValue,
  unauthorized: Unauthorized,
  insufficient_credits: InsufficientCredits,
  forbidden: Forbidden,
  editing_not_allowed: EditingNotAllowed,
  not_found: NotFound,
  method_not_allowed: MethodNotAllowed,
  account_exists: AccountExists,
  hold_expired: HoldExpired,
  hold_not_active: HoldNotActive,
  capture_exceeds_hold: CaptureExceedsHold,
  refund_exceeds_spend: RefundExceedsSpend,
  spend_not_refundable: SpendNotRefundable,
  lot_voided: LotVoided,
  idempotency_conflict: IdempotencyConflict,
  payment_ref_used: PaymentRefUsed,
  not_subscribed: NotSubscribed,
  already_claimed: AlreadyClaimed,
  reward_unavailable: RewardUnavailable,
  payload_too_large: PayloadTooLarge,
  unsupported_media_type: UnsupportedMediaType,
  limit_exceeded: LimitExceeded,
  invalid_config: InvalidConfig,
  budget_exceeded: BudgetExceeded,
  not_a_member: NotAMember,
  member_exists: MemberExists,
  budget_exists: BudgetExists,
  outcome_conflict: OutcomeConflict,
  unavailable: Unavailable,
  internal: Internal,
};

/** The error for a problem; an unknown type (a newer server) is a plain TallyError. */
export function problemError(problem: Problem): TallyError {
  const cls = (PROBLEM_CLASSES as Record<string, new (p: Problem) => TallyError>)[problem.type];
  return cls ? new cls(problem) : new TallyError(problem);
}
