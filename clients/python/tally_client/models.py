"""The API's reply shapes (docs/openapi.yaml, components/schemas and inline replies), typed.

Amounts are `Decimal` (with their `_micro` twin as int), times aware `datetime` in UTC, ids
`str`. Each model keeps the reply it was decoded from in `raw`, fields it does not know
included. tests/test_openapi_coverage.py fails when the OpenAPI file names a field a model lacks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Optional


def _model(cls):
    return dataclass(frozen=True)(cls)


def _raw():
    return field(default_factory=dict, repr=False, compare=False)


@_model
class Balance:
    available: Optional[Decimal] = None
    available_micro: Optional[int] = None
    held: Optional[Decimal] = None
    held_micro: Optional[int] = None
    pending: Optional[Decimal] = None  # granted, `effective_at` still ahead
    pending_micro: Optional[int] = None
    total: Optional[Decimal] = None  # available + held
    total_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class BalanceAt(Balance):
    """GET /v1/accounts/{id}/balance: the balance at `as_of`, recomputed from the journal."""

    as_of: Optional[datetime] = None


@_model
class SourceAmount:
    amount: Optional[Decimal] = None
    amount_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class NextExpiry:
    at: Optional[datetime] = None
    amount: Optional[Decimal] = None
    amount_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class Lot:
    id: Optional[str] = None
    account: Optional[str] = None
    source: Optional[str] = None
    amount: Optional[Decimal] = None  # granted
    amount_micro: Optional[int] = None
    remaining: Optional[Decimal] = None  # available to spend (not held)
    remaining_micro: Optional[int] = None
    held: Optional[Decimal] = None
    held_micro: Optional[int] = None
    granted_at: Optional[datetime] = None
    effective_at: Optional[datetime] = None
    expires_at: Optional[datetime] = None  # None: never expires
    scope: Optional[list[str]] = None
    reason: Optional[str] = None
    reference: Optional[str] = None
    voided: Optional[bool] = None
    # Sent by the server, not (yet) in docs/openapi.yaml.
    consumed: Optional[Decimal] = None
    consumed_micro: Optional[int] = None
    expired: Optional[Decimal] = None
    expired_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class Subscription:
    plan: Optional[str] = None
    state: Optional[str] = None  # active, cancelling, past_due
    period_start: Optional[datetime] = None
    period_end: Optional[datetime] = None
    allocation: Optional[Decimal] = None
    allocation_micro: Optional[int] = None
    pending_plan: Optional[str] = None
    cancel_at_period_end: Optional[bool] = None
    # Sent by the subscription endpoints, not in docs/openapi.yaml: the lots the change granted.
    account: Optional[str] = None
    allocation_lot: Optional[str] = None
    rollover_lot: Optional[str] = None
    signup_lot: Optional[str] = None
    raw: dict = _raw()


@_model
class Account:
    id: Optional[str] = None
    kind: Optional[str] = None  # personal, team (a shared wallet with members and budgets)
    plan: Optional[str] = None
    balance: Optional[Balance] = None
    by_source: Optional[dict[str, SourceAmount]] = None
    next_expiry: Optional[NextExpiry] = None
    lots: Optional[list[Lot]] = None
    subscription: Optional[Subscription] = None
    open_holds: Optional[int] = None
    raw: dict = _raw()


@_model
class Entry:
    seq: Optional[int] = None
    at: Optional[datetime] = None
    kind: Optional[str] = None  # grant, hold, release, capture, spend, refund, expire, void
    account: Optional[str] = None
    amount: Optional[Decimal] = None  # change of the lot's remaining
    amount_micro: Optional[int] = None
    held: Optional[Decimal] = None  # change of the lot's held portion
    held_micro: Optional[int] = None
    balance_after: Optional[Decimal] = None
    balance_after_micro: Optional[int] = None
    lot: Optional[str] = None
    source: Optional[str] = None
    tool: Optional[str] = None
    hold: Optional[str] = None
    spend: Optional[str] = None
    expires_at: Optional[datetime] = None
    reason: Optional[str] = None
    member: Optional[str] = None  # a team account's entries: the member, and project, of the debit
    project: Optional[str] = None
    raw: dict = _raw()


@_model
class Operation:
    """One line of history by operation (`group="operation"`): its entries under `portions`."""
    operation: Optional[str] = None  # grant, purchase, hold, capture, release, spend, refund, expiry, renewal, void
    at: Optional[datetime] = None
    first_seq: Optional[int] = None
    last_seq: Optional[int] = None
    summary: Optional[str] = None  # e.g. "Held 12 credits for video"
    credits: Optional[Decimal] = None  # the figure the summary leads with
    credits_micro: Optional[int] = None
    amount: Optional[Decimal] = None  # change of the available credits
    amount_micro: Optional[int] = None
    held: Optional[Decimal] = None
    held_micro: Optional[int] = None
    balance_after: Optional[Decimal] = None
    balance_after_micro: Optional[int] = None
    source: Optional[str] = None  # None when its lots have several sources
    tool: Optional[str] = None
    hold: Optional[str] = None
    spend: Optional[str] = None
    member: Optional[str] = None
    project: Optional[str] = None
    portions: Optional[list[Entry]] = None
    raw: dict = _raw()


@_model
class EntriesPage:
    entries: Optional[list[Entry]] = None
    operations: Optional[list[Operation]] = None  # group="operation" only
    next_after: Optional[int] = None  # None: this page is the last
    raw: dict = _raw()


@_model
class Portion:
    lot: Optional[str] = None
    amount: Optional[Decimal] = None
    amount_micro: Optional[int] = None
    expires_at: Optional[datetime] = None  # sent by the server, not in docs/openapi.yaml
    raw: dict = _raw()


@_model
class Restored:
    to_lots: Optional[Decimal] = None
    to_lots_micro: Optional[int] = None
    to_refund_lots: Optional[Decimal] = None
    to_refund_lots_micro: Optional[int] = None
    voided: Optional[Decimal] = None
    voided_micro: Optional[int] = None
    refund_lots: Optional[list[str]] = None
    raw: dict = _raw()


@_model
class QuoteLine:
    kind: Optional[str] = None  # base, add, multiply, included, minimum, rounding
    param: Optional[str] = None
    value: Optional[str] = None
    amount: Optional[Decimal] = None  # credits, or the factor for `multiply`
    subtotal: Optional[Decimal] = None
    label: Optional[str] = None
    operation: Optional[str] = None
    raw: dict = _raw()


@_model
class Quote:
    tool: Optional[str] = None
    total: Optional[Decimal] = None
    total_micro: Optional[int] = None
    price_book_version: Optional[str] = None
    plan: Optional[str] = None
    breakdown: Optional[list[QuoteLine]] = None
    raw: dict = _raw()

    def format_breakdown(self) -> str:
        """The breakdown as lines a person can read."""
        lines = []
        for item in self.breakdown or []:
            what = item.label or item.kind or ""
            lines.append(f"  {what:<32} {item.operation or '':<20} = {item.subtotal}")
        lines.append(f"  {'total':<32} {'':<20} = {self.total}")
        return "\n".join(lines)


@_model
class Hold:
    id: Optional[str] = None
    account: Optional[str] = None
    amount: Optional[Decimal] = None
    amount_micro: Optional[int] = None
    state: Optional[str] = None  # active, captured, released, expired
    tool: Optional[str] = None
    expires_at: Optional[datetime] = None
    price_book_version: Optional[str] = None
    portions: Optional[list[Portion]] = None
    quote: Optional[Quote] = None
    spend: Optional[str] = None
    member: Optional[str] = None  # a team account's hold: who placed it, for which project
    project: Optional[str] = None
    raw: dict = _raw()


@_model
class IncludedJob:
    """A job priced at 0 (an option the plan includes): nothing was held or spent."""

    id: Optional[str] = None  # always None
    account: Optional[str] = None
    amount: Optional[Decimal] = None
    amount_micro: Optional[int] = None
    state: Optional[str] = None  # "included"
    tool: Optional[str] = None
    price_book_version: Optional[str] = None
    portions: Optional[list[dict]] = None  # always empty
    quote: Optional[Quote] = None
    raw: dict = _raw()


@_model
class Spend:
    id: Optional[str] = None
    account: Optional[str] = None
    amount: Optional[Decimal] = None
    amount_micro: Optional[int] = None
    tool: Optional[str] = None
    portions: Optional[list[Portion]] = None
    refunded: Optional[Decimal] = None
    refunded_micro: Optional[int] = None
    price_book_version: Optional[str] = None
    hold: Optional[str] = None  # the captured hold; sent by the server, not in docs/openapi.yaml
    member: Optional[str] = None  # a team account's spend: who made it, for which project
    project: Optional[str] = None
    outcome: Optional[str] = None  # "usable", "rejected", or None until said
    raw: dict = _raw()


@_model
class SpendOutcome:
    spend: Optional[str] = None
    outcome: Optional[str] = None
    changed: Optional[bool] = None  # False: the spend already had this outcome
    raw: dict = _raw()


@_model
class Capture:
    hold: Optional[str] = None
    state: Optional[str] = None  # "captured"; sent by the server, not in docs/openapi.yaml
    spend: Optional[str] = None  # None when nothing was captured
    captured: Optional[Decimal] = None
    captured_micro: Optional[int] = None
    released: Optional[Decimal] = None
    released_micro: Optional[int] = None
    portions: Optional[list[Portion]] = None
    restored: Optional[Restored] = None
    raw: dict = _raw()


@_model
class Release:
    hold: Optional[str] = None
    state: Optional[str] = None
    released: Optional[Decimal] = None
    released_micro: Optional[int] = None
    restored: Optional[Restored] = None
    raw: dict = _raw()


@_model
class Refund:
    spend: Optional[str] = None
    refunded: Optional[Decimal] = None
    refunded_micro: Optional[int] = None
    refunded_total: Optional[Decimal] = None
    refunded_total_micro: Optional[int] = None
    restored: Optional[Restored] = None
    raw: dict = _raw()


@_model
class Price:
    amount: Optional[Decimal] = None  # in currency units ("9.99")
    currency: Optional[str] = None
    raw: dict = _raw()


@_model
class Purchase:
    id: Optional[str] = None
    account: Optional[str] = None
    pack: Optional[str] = None
    price: Optional[Price] = None
    lot: Optional[str] = None
    credits: Optional[Decimal] = None
    credits_micro: Optional[int] = None
    bonus_lot: Optional[str] = None
    bonus: Optional[Decimal] = None
    bonus_micro: Optional[int] = None
    expires_at: Optional[datetime] = None
    raw: dict = _raw()


@_model
class _VoidAmounts:
    voided: Optional[Decimal] = None
    voided_micro: Optional[int] = None
    consumed: Optional[Decimal] = None
    consumed_micro: Optional[int] = None
    held: Optional[Decimal] = None
    held_micro: Optional[int] = None
    expired: Optional[Decimal] = None
    expired_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class PurchaseVoid(_VoidAmounts):
    purchase: Optional[str] = None


@_model
class LotVoid(_VoidAmounts):
    lot: Optional[str] = None


@_model
class RewardClaim:
    lot: Optional[str] = None
    amount: Optional[Decimal] = None
    amount_micro: Optional[int] = None
    expires_at: Optional[datetime] = None
    season: Optional[str] = None
    raw: dict = _raw()


@_model
class Token:
    token: Optional[str] = None
    id: Optional[str] = None  # to revoke this token alone (`revoke_tokens(account, token_id=...)`)
    account: Optional[str] = None
    member: Optional[str] = None  # the team member the token acts as; None: the account's own
    expires_at: Optional[datetime] = None
    url: Optional[str] = None  # opens the dashboard for this user
    raw: dict = _raw()


@_model
class CreditValue:
    """What a credit sells for in one currency, over the packs sold in it."""

    currency: Optional[str] = None
    min: Optional[Decimal] = None
    max: Optional[Decimal] = None
    packs: Optional[int] = None
    raw: dict = _raw()


@_model
class PriceOption:
    id: Optional[str] = None
    name: Optional[str] = None
    effect: Optional[str] = None  # price, add, multiply, none
    amount: Optional[Decimal] = None  # credits, or the factor of `multiply`; None for a usage multiplier
    text: Optional[str] = None  # the effect for people ("× 2", "5")
    default: Optional[bool] = None
    included_in: Optional[list[str]] = None  # plans in which this option costs nothing
    raw: dict = _raw()


@_model
class PriceParam:
    id: Optional[str] = None
    name: Optional[str] = None
    kind: Optional[str] = None  # choice, usage, count, switch
    detail: Optional[str] = None  # its default or range, for people
    options: Optional[list[PriceOption]] = None
    raw: dict = _raw()


@_model
class PriceTool:
    id: Optional[str] = None
    name: Optional[str] = None
    description: Optional[str] = None
    unit: Optional[str] = None  # what one job is priced per ("generation", "second")
    minimum: Optional[Decimal] = None
    rounding: Optional[str] = None  # for people ("up to 1")
    base: Optional[Decimal] = None  # None when its parameters set the price
    default_total: Optional[Decimal] = None  # a job with every default; None when a parameter has none
    default_total_micro: Optional[int] = None
    params: Optional[list[PriceParam]] = None
    raw: dict = _raw()


@_model
class UpcomingVersion:
    """A price book version that takes effect later than the server's time."""

    name: Optional[str] = None
    version: Optional[str] = None
    effective_at: Optional[datetime] = None
    raw: dict = _raw()


@_model
class LintItem:
    """One item of the fair-pricing checklist (docs/lint.md)."""

    id: Optional[str] = None
    title: Optional[str] = None
    outcome: Optional[str] = None  # pass, warn, fail
    why: Optional[str] = None
    where: Optional[str] = None  # a configuration key path ("packs[1].bonus_validity")
    line: Optional[int] = None  # None from the server
    raw: dict = _raw()


@_model
class LintReport:
    outcome: Optional[str] = None  # the worst item's
    items: Optional[list[LintItem]] = None
    raw: dict = _raw()


@_model
class PriceTable:
    version: Optional[str] = None
    tools: Optional[list[PriceTool]] = None
    # Sent by the server; docs/openapi.yaml leaves them open (additionalProperties).
    name: Optional[str] = None
    effective_at: Optional[datetime] = None
    credit_value: Optional[list[CreditValue]] = None
    upcoming: Optional[list[UpcomingVersion]] = None
    fairness: Optional[LintReport] = None
    raw: dict = _raw()


@_model
class DailyReward:
    amount: Optional[Decimal] = None
    amount_micro: Optional[int] = None
    base_amount: Optional[Decimal] = None
    base_amount_micro: Optional[int] = None
    member_boost: Optional[Decimal] = None  # a multiplier ("2", "1.5")
    season: Optional[str] = None
    validity: Optional[str] = None  # ISO 8601 duration
    raw: dict = _raw()


@_model
class Plan:
    id: Optional[str] = None
    name: Optional[str] = None
    daily_reward: Optional[DailyReward] = None
    # Sent by the server; docs/openapi.yaml leaves them open (additionalProperties).
    tier: Optional[int] = None
    allocation: Optional[Decimal] = None
    allocation_micro: Optional[int] = None
    period: Optional[str] = None  # weekly, monthly, yearly
    rollover_cap: Optional[Decimal] = None
    rollover_cap_micro: Optional[int] = None
    custom_allocation: Optional[bool] = None
    signup_grant: Optional[Decimal] = None
    signup_grant_micro: Optional[int] = None
    member: Optional[bool] = None
    purchase_bonus_percent: Optional[int] = None
    team_members: Optional[int] = None  # members a team account on it may have; 0: no teams
    raw: dict = _raw()


@_model
class Plans:
    plans: Optional[list[Plan]] = None
    default_plan: Optional[str] = None  # sent by the server, not in docs/openapi.yaml
    raw: dict = _raw()


@_model
class PackPrice:
    currency: Optional[str] = None
    amount: Optional[Decimal] = None  # in currency units ("9.99")
    region: Optional[str] = None  # None: the price everywhere else
    per_credit: Optional[Decimal] = None
    raw: dict = _raw()


@_model
class Pack:
    id: Optional[str] = None
    name: Optional[str] = None
    # Sent by the server; docs/openapi.yaml leaves them open (additionalProperties).
    credits: Optional[Decimal] = None
    credits_micro: Optional[int] = None
    bonus: Optional[Decimal] = None
    bonus_micro: Optional[int] = None
    validity: Optional[str] = None  # ISO 8601 duration, or "never"
    bonus_validity: Optional[str] = None  # of the bonus credits' own lot
    prices: Optional[list[PackPrice]] = None
    raw: dict = _raw()


@_model
class Packs:
    packs: Optional[list[Pack]] = None
    raw: dict = _raw()


@_model
class BatchItemResult:
    status: Optional[int] = None
    body: Optional[dict] = None  # the reply, or a Problem

    raw: dict = _raw()

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def error(self):
        """The item's problem as a TallyError (not raised), or None when it succeeded."""
        if self.ok:
            return None
        from .errors import error_from_problem

        return error_from_problem(self.status or 0, self.body or {}, None)


@_model
class BatchResult:
    responses: Optional[list[BatchItemResult]] = None
    raw: dict = _raw()


@_model
class ApiKey:
    """A key as `GET /v1/keys` lists it: never its secret."""

    id: Optional[str] = None  # "key_…", or "admin"
    name: Optional[str] = None
    scope: Optional[str] = None  # admin, service, worker, read
    created_at: Optional[datetime] = None
    expires_at: Optional[datetime] = None  # None: never expires
    last_used_at: Optional[datetime] = None  # None: never used (kept to the second)
    previous_valid_until: Optional[datetime] = None  # the old secret's end after a rotation
    raw: dict = _raw()


@_model
class ApiKeyWithSecret(ApiKey):
    """A key just created or rotated, with its secret in `key` (shown once)."""

    key: Optional[str] = None


ServiceKey = ApiKeyWithSecret  # the name of 0.1.0


@_model
class RevokedKey(ApiKey):
    """A key as it was when `DELETE /v1/keys/{id}` revoked it."""

    revoked_at: Optional[datetime] = None


@_model
class Keys:
    keys: Optional[list[ApiKey]] = None
    raw: dict = _raw()


@_model
class Webhook:
    """A webhook endpoint (docs/webhooks.md), never its secret. Times are the server's wall clock."""

    id: Optional[str] = None  # "wh_…"
    url: Optional[str] = None
    event_types: Optional[list[str]] = None  # ["*"]: every type
    description: Optional[str] = None
    created_at: Optional[datetime] = None
    status: Optional[str] = None  # enabled, failing (being retried), disabled
    disabled_at: Optional[datetime] = None
    disabled_reason: Optional[str] = None
    failing_since: Optional[datetime] = None
    failures: Optional[int] = None  # failed attempts in a row
    next_attempt_at: Optional[datetime] = None
    previous_secret_valid_until: Optional[datetime] = None  # the old secret signs until then
    raw: dict = _raw()


@_model
class WebhookWithSecret(Webhook):
    """An endpoint just created or rotated, with its signing secret (shown once)."""

    secret: Optional[str] = None


@_model
class Webhooks:
    webhooks: Optional[list[Webhook]] = None
    raw: dict = _raw()


@_model
class WebhookDelivery:
    """One delivery attempt: `status` is the receiver's answer, or None with `error`."""

    event: Optional[str] = None
    event_type: Optional[str] = None
    at: Optional[datetime] = None
    status: Optional[int] = None
    error: Optional[str] = None
    latency_ms: Optional[int] = None
    redelivery: Optional[bool] = None
    delivered: Optional[bool] = None  # answered 2xx
    raw: dict = _raw()


@_model
class WebhookDeliveries:
    deliveries: Optional[list[WebhookDelivery]] = None  # newest first
    raw: dict = _raw()


@_model
class Redelivery:
    webhook: Optional[str] = None
    event: Optional[str] = None
    queued: Optional[bool] = None
    raw: dict = _raw()


@_model
class TokenRevocation:
    account: Optional[str] = None
    token_id: Optional[str] = None  # None: every token of the account issued before revoked_at
    all: Optional[bool] = None
    revoked_at: Optional[datetime] = None
    raw: dict = _raw()


@_model
class AccountSummary:
    """An account as `GET /v1/accounts` lists it (its lots: `get_account`)."""

    id: Optional[str] = None
    kind: Optional[str] = None  # personal, team
    plan: Optional[str] = None
    balance: Optional[Balance] = None
    open_holds: Optional[int] = None
    raw: dict = _raw()


@_model
class AccountsPage:
    accounts: Optional[list[AccountSummary]] = None
    next_cursor: Optional[str] = None  # None: this page is the last
    raw: dict = _raw()


@_model
class Event:
    """What the ledger tells the world happened (docs/events.md lists every type and its data)."""

    id: Optional[str] = None  # unique; orders the events of one account
    type: Optional[str] = None  # balance.low, credits.expiring, purchase.completed, ...
    at: Optional[datetime] = None
    account: Optional[str] = None  # None for a platform event (webhook.disabled)
    data: Optional[dict] = None  # by type, as the server sent it (amounts as decimal strings)
    raw: dict = _raw()


@_model
class EventsPage:
    events: Optional[list[Event]] = None
    # GET /v1/events: the position in every shard, always set; an account's events: the last
    # event's id, None when the page is empty.
    next_after: Optional[str] = None
    has_more: Optional[bool] = None  # another page may follow at once
    raw: dict = _raw()


@_model
class Alerts:
    """An account's alert settings in force, and where each comes from ("account" or "plan")."""

    account: Optional[str] = None
    low_balance: Optional[Decimal] = None  # None: no balance.low
    low_balance_micro: Optional[int] = None
    low_balance_from: Optional[str] = None
    expiring_notice: Optional[str] = None  # ISO 8601 duration; None: no credits.expiring
    expiring_notice_from: Optional[str] = None
    editable: Optional[bool] = None  # whether this caller may change them ([tokens] for a token)
    raw: dict = _raw()


@_model
class AutoTopupRequest:
    """The outstanding auto top-up request: post the purchase with its `payment_ref`."""

    id: Optional[str] = None
    payment_ref: Optional[str] = None
    expires_at: Optional[datetime] = None
    raw: dict = _raw()


@_model
class AutoTopup:
    """An account's auto top-up (docs/events.md "Auto top-up"); off: `enabled` False and the
    rest None."""

    account: Optional[str] = None
    editable: Optional[bool] = None  # whether this caller may change it ([tokens] for a token)
    enabled: Optional[bool] = None
    below: Optional[Decimal] = None
    below_micro: Optional[int] = None
    pack: Optional[str] = None
    currency: Optional[str] = None
    region: Optional[str] = None
    price: Optional[Decimal] = None  # the pack's price now, in currency units ("9.99")
    credits: Optional[Decimal] = None
    credits_micro: Optional[int] = None
    request: Optional[AutoTopupRequest] = None  # None: no request outstanding
    failures: Optional[int] = None  # failed or timed-out requests in a row
    retry_at: Optional[datetime] = None  # when the ledger asks again, if still below
    raw: dict = _raw()


@_model
class Member:
    """A member of a team account (docs/api.md "Teams"); a removed one as it was."""

    account: Optional[str] = None
    user: Optional[str] = None
    role: Optional[str] = None  # owner, admin, member, viewer
    added_at: Optional[datetime] = None
    raw: dict = _raw()


@_model
class Members:
    account: Optional[str] = None
    members: Optional[list[Member]] = None  # in the order they were added
    raw: dict = _raw()


@_model
class _BudgetFigures:
    """A budget's id and where it stands in its current period."""

    id: Optional[str] = None
    limit: Optional[Decimal] = None
    limit_micro: Optional[int] = None
    used: Optional[Decimal] = None
    used_micro: Optional[int] = None
    left: Optional[Decimal] = None
    left_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class Budget(_BudgetFigures):
    """A budget of a team account with its usage in the current period, as of the shard's time."""

    account: Optional[str] = None
    member: Optional[str] = None  # None: binds any member
    project: Optional[str] = None  # None: binds any project
    period: Optional[str] = None  # P1D, P1W, P1M
    anchor: Optional[datetime] = None
    mode: Optional[str] = None  # hard (refuses past the limit), soft (lets through, marks it)
    alert_at: Optional[Decimal] = None  # budget.threshold_reached at this usage; None: none
    alert_at_micro: Optional[int] = None
    period_start: Optional[datetime] = None
    period_end: Optional[datetime] = None
    counting_from: Optional[datetime] = None  # the period's start, or the budget's creation
    exceeded: Optional[bool] = None  # usage passed the limit in this period (a soft crossing)
    threshold_reached: Optional[bool] = None  # usage reached alert_at in this period
    created_at: Optional[datetime] = None


@_model
class MemberUsage:
    member: Optional[str] = None
    used: Optional[Decimal] = None
    used_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class ProjectUsage:
    project: Optional[str] = None
    used: Optional[Decimal] = None
    used_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class TeamUsage:
    """What a team's debits took in [from_, to), net of releases and refunds."""

    account: Optional[str] = None
    from_: Optional[datetime] = None  # `from` on the wire
    to: Optional[datetime] = None
    used: Optional[Decimal] = None
    used_micro: Optional[int] = None
    by_member: Optional[list[MemberUsage]] = None
    by_project: Optional[list[ProjectUsage]] = None
    raw: dict = _raw()


@_model
class MoneyAmount:
    amount: Optional[str] = None  # major units as text; may be negative
    currency: Optional[str] = None
    raw: dict = _raw()


@_model
class BurnRate:
    window_days: Optional[int] = None
    consumed: Optional[Decimal] = None
    consumed_micro: Optional[int] = None
    per_day: Optional[Decimal] = None
    per_day_micro: Optional[int] = None
    runs_out_at: Optional[datetime] = None  # None: nothing is being consumed
    expires_unused: Optional[Decimal] = None
    expires_unused_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class PeriodUse:
    start: Optional[datetime] = None
    end: Optional[datetime] = None
    used: Optional[Decimal] = None
    used_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class PackCount:
    pack: Optional[str] = None
    count: Optional[int] = None
    raw: dict = _raw()


@_model
class PackChoice:
    items: Optional[list[PackCount]] = None
    credits: Optional[Decimal] = None
    credits_micro: Optional[int] = None
    price: Optional[MoneyAmount] = None
    raw: dict = _raw()


@_model
class Advice:
    """Amisi's rule over the last complete periods (docs/reports.md)."""

    kind: Optional[str] = None  # stay, buy_packs or upgrade
    why: Optional[str] = None
    plan: Optional[str] = None
    allocation: Optional[Decimal] = None
    allocation_micro: Optional[int] = None
    periods: Optional[list[PeriodUse]] = None
    periods_over: Optional[int] = None
    need: Optional[Decimal] = None
    need_micro: Optional[int] = None
    upgrade_plan: Optional[str] = None
    upgrade_price: Optional[MoneyAmount] = None
    stay_price: Optional[MoneyAmount] = None
    saves: Optional[MoneyAmount] = None
    packs: Optional[PackChoice] = None
    raw: dict = _raw()


@_model
class Forecast:
    """When an account's credits run out at its 7- and 30-day rates, and what to buy."""

    account: Optional[str] = None
    as_of: Optional[datetime] = None
    available: Optional[Decimal] = None
    available_micro: Optional[int] = None
    rates: Optional[list[BurnRate]] = None
    advice: Optional[Advice] = None
    raw: dict = _raw()


@_model
class FinancePaid:
    """Paid credits of one currency over a period, in money and in credits."""

    received: Optional[str] = None  # money in major units ("9.99")
    received_minor: Optional[int] = None
    received_credits: Optional[Decimal] = None
    received_credits_micro: Optional[int] = None
    recognized: Optional[str] = None  # money in major units ("9.99")
    recognized_minor: Optional[int] = None
    recognized_credits: Optional[Decimal] = None
    recognized_credits_micro: Optional[int] = None
    breakage: Optional[str] = None  # money in major units ("9.99")
    breakage_minor: Optional[int] = None
    breakage_credits: Optional[Decimal] = None
    breakage_credits_micro: Optional[int] = None
    refunded: Optional[str] = None  # money in major units ("9.99")
    refunded_minor: Optional[int] = None
    refunded_credits: Optional[Decimal] = None
    refunded_credits_micro: Optional[int] = None
    deferred_opening: Optional[str] = None  # money in major units ("9.99")
    deferred_opening_minor: Optional[int] = None
    deferred_opening_credits: Optional[Decimal] = None
    deferred_opening_credits_micro: Optional[int] = None
    deferred_closing: Optional[str] = None  # money in major units ("9.99")
    deferred_closing_minor: Optional[int] = None
    deferred_closing_credits: Optional[Decimal] = None
    deferred_closing_credits_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class FinanceFree:
    """Credits without a cost basis of one source over a period."""

    source: Optional[str] = None
    issued: Optional[Decimal] = None
    issued_micro: Optional[int] = None
    consumed: Optional[Decimal] = None
    consumed_micro: Optional[int] = None
    expired: Optional[Decimal] = None
    expired_micro: Optional[int] = None
    voided: Optional[Decimal] = None
    voided_micro: Optional[int] = None
    outstanding_opening: Optional[Decimal] = None
    outstanding_opening_micro: Optional[int] = None
    outstanding_closing: Optional[Decimal] = None
    outstanding_closing_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class AccountUse:
    account: Optional[str] = None
    used: Optional[Decimal] = None  # captures and spends less refunds over the period
    used_micro: Optional[int] = None
    raw: dict = _raw()


@_model
class TopAccounts:
    """The accounts that used most over [from_, to), most first (docs/reports.md)."""

    from_: Optional[datetime] = None  # `from` on the wire
    to: Optional[datetime] = None
    accounts: Optional[list[AccountUse]] = None
    raw: dict = _raw()


@_model
class FinanceReport:
    """The finance report of [from_, to) in one currency (docs/reports.md)."""

    from_: Optional[datetime] = None  # `from` on the wire
    to: Optional[datetime] = None
    currency: Optional[str] = None
    paid: Optional[FinancePaid] = None
    paid_lots: Optional[int] = None
    free: Optional[list[FinanceFree]] = None
    rolled_over: Optional[Decimal] = None
    rolled_over_micro: Optional[int] = None
    other_currencies: Optional[list[str]] = None
    raw: dict = _raw()


@_model
class Budgets:
    account: Optional[str] = None
    as_of: Optional[datetime] = None
    budgets: Optional[list[Budget]] = None  # in the order they were made
    raw: dict = _raw()


@_model
class BudgetRefusal(_BudgetFigures):
    """`BudgetExceeded.budget`: the hard budget that refused a debit, and where it stood."""


@_model
class Clock:
    now: Optional[datetime] = None
    raw: dict = _raw()


@_model
class LeaseNode:
    """On PostgreSQL: a node's shard leases (docs/storage.md "Leases and fencing")."""

    id: Optional[str] = None
    state: Optional[str] = None  # active, expired or standby
    epoch: Optional[int] = None
    lease_ms: Optional[int] = None
    owner: Optional[str] = None  # the node holding the leases as last seen (empty if none)
    shards_held: Optional[int] = None
    raw: dict = _raw()


@_model
class Health:
    status: Optional[str] = None
    shards: Optional[int] = None
    node: Optional[LeaseNode] = None  # on PostgreSQL only
    raw: dict = _raw()


@_model
class ConfigReload:
    """POST /v1/admin/reload: the configuration the server reads again, now in force."""

    file: Optional[str] = None
    generation: Optional[int] = None  # reloads applied since the server started
    changed: Optional[list[str]] = None  # sections that differ from the ones that ran before
    restart_required: Optional[list[str]] = None  # changed, but kept as they run until a restart
    price_book_version: Optional[str] = None  # the file's
    price_book_added: Optional[bool] = None  # a version the server had not run before
    price_book_in_force: Optional[str] = None  # the version in force now
    raw: dict = _raw()


@_model
class AuditLine:
    """One line of GET /v1/audit: a ledger change (`source` "ledger", with the request's
    `idempotency_key`) or an admin action outside the ledger (`source` "admin", with `target`)."""

    at: Optional[datetime] = None
    source: Optional[str] = None
    shard: Optional[int] = None  # None for an admin action
    seq: Optional[int] = None
    action: Optional[str] = None
    credential: Optional[str] = None  # "key", "token" or "none"
    key_id: Optional[str] = None
    token_id: Optional[str] = None
    member: Optional[str] = None
    idempotency_key: Optional[str] = None
    account: Optional[str] = None
    target: Optional[str] = None
    raw: dict = _raw()


@_model
class AuditPage:
    lines: Optional[list[AuditLine]] = None
    next_cursor: Optional[str] = None  # pass as `cursor` for the next page
    has_more: Optional[bool] = None
    raw: dict = _raw()


@dataclass
class BatchRequest:
    """One request of POST /v1/batch. A change without `idempotency_key` gets a generated one."""

    method: str
    path: str
    body: Optional[dict[str, Any]] = None
    idempotency_key: Optional[str] = None


ALL_MODELS = list({
    id(obj): obj for obj in list(globals().values())
    if isinstance(obj, type) and dataclasses.is_dataclass(obj) and not obj.__name__.startswith("_")
}.values())

__all__ = [cls.__name__ for cls in ALL_MODELS] + ["ServiceKey"]
