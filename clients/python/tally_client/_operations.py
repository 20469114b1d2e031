"""Every operation of docs/openapi.yaml, once, for both clients.

Each method builds a `Call` (the method and path come from its `@operation`) and hands it to
`self._perform`: the synchronous client runs it and returns the result, the asyncio client
returns a coroutine of it. `@operation` names the
OpenAPI operation (id, method, path) and the model of each success status;
tests/test_openapi_coverage.py checks them against the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable, Mapping, Optional, Union

from . import models as m
from ._codec import AmountLike, TimeLike, amount_to_wire, decode_model, duration_to_wire, time_to_wire
from ._http import Call, new_idempotency_key, path_segment

ParamValue = Union[str, int, bool]
Params = Mapping[str, ParamValue]


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    responses: Mapping[int, Any]  # success status -> model (str for text)


def operation(operation_id: str, method: str, path: str, responses: Mapping[int, Any]):
    def wrap(fn):
        fn.__tally_operation__ = Operation(operation_id, method, path, dict(responses))
        return fn

    return wrap


def operations_of(cls: type) -> dict[str, tuple[str, Operation]]:
    """operationId -> (method name, Operation) for every decorated method of `cls`."""
    out = {}
    for name in dir(cls):
        op = getattr(getattr(cls, name), "__tally_operation__", None)
        if op is not None:
            out[op.operation_id] = (name, op)
    return out


def _decoder(responses: Mapping[int, Any]):
    def decode(status: int, data: Any) -> Any:
        model = responses.get(status)
        if model is None:
            raise ValueError(f"status {status} is not a documented success")
        return decode_model(model, data)

    return decode


def _body(**fields: Any) -> dict:
    """A JSON body of the fields given (None: left out)."""
    return {k: v for k, v in fields.items() if v is not None}


def _params(params: Optional[Params], what: str) -> Optional[dict]:
    if params is None:
        return None
    out = {}
    for k, v in params.items():
        if isinstance(v, float):
            raise TypeError(f"{what}.{k}: integers, strings or booleans only (the API has no floats)")
        out[k] = v
    return out


def _types(types: Optional[Union[str, Iterable[str]]]) -> Optional[str]:
    """Event types as the `types` query wants them: comma-separated."""
    if types is None or isinstance(types, str):
        return types
    return ",".join(types)


class Operations:
    """The API, one method per operation. Subclasses define `_perform(call)`."""

    def _perform(self, call: Call) -> Any:  # pragma: no cover - defined by the clients
        raise NotImplementedError

    def _run(self, fn, object_id: Optional[str] = None, *, sub_id: Optional[str] = None, body=None, query=None, key: Optional[str] = None, changes: bool = False, retry: bool = True, text: bool = False):
        """Sends `fn`'s operation: its method, its path with `{id}` = `object_id` and the
        path's second parameter (`{user}`, `{budget}`, ...) = `sub_id`."""
        op: Operation = fn.__tally_operation__
        path = op.path if object_id is None else op.path.replace("{id}", path_segment(object_id, f"{fn.__name__}: the id"))
        if sub_id is not None:
            name = re.search(r"\{(\w+)\}", path)
            assert name is not None, f"{op.path} has one path parameter"
            path = path.replace(name.group(0), path_segment(sub_id, f"{fn.__name__}: the {name.group(1)}"))
        idempotency_key = (key or new_idempotency_key()) if changes else key
        decode = (lambda status, data: data) if text else _decoder(op.responses)
        return self._perform(Call(op.method, path, decode, body, query, idempotency_key, retry, text))

    # ---- accounts ----

    @operation("openAccount", "POST", "/v1/accounts", {201: m.Account})
    def open_account(self, id: str, *, plan: Optional[str] = None, no_plan: bool = False, kind: Optional[str] = None, owner: Optional[str] = None, idempotency_key: Optional[str] = None) -> m.Account:
        """Opens an account; the plan's signup grant is applied. `plan` None: the catalog's
        default plan; `no_plan=True`: no subscription. `kind="team"` with its `owner` (a user
        id) opens a shared wallet with members and budgets; its plan must allow teams."""
        body: dict[str, Any] = {"id": id}
        if no_plan:
            body["plan"] = None
        elif plan is not None:
            body["plan"] = plan
        body.update(_body(kind=kind, owner=owner))
        return self._run(Operations.open_account, body=body, key=idempotency_key, changes=True)

    @operation("listAccounts", "GET", "/v1/accounts", {200: m.AccountsPage})
    def list_accounts(self, *, prefix: Optional[str] = None, plan: Optional[str] = None, kind: Optional[str] = None, cursor: Optional[str] = None, limit: Optional[int] = None) -> m.AccountsPage:
        """One page of accounts in byte order of their ids (admin or service key); pass
        `next_cursor` as `cursor` for the next page. `kind`: "team" or "personal".
        `iter_accounts` walks every page."""
        return self._run(Operations.list_accounts, query={"prefix": prefix, "plan": plan, "kind": kind, "cursor": cursor, "limit": limit})

    @operation("getAccount", "GET", "/v1/accounts/{id}", {200: m.Account})
    def get_account(self, account: str) -> m.Account:
        return self._run(Operations.get_account, account)

    @operation("listEntries", "GET", "/v1/accounts/{id}/entries", {200: m.EntriesPage})
    def list_entries(self, account: str, *, limit: Optional[int] = None, after: Optional[int] = None, member: Optional[str] = None, project: Optional[str] = None, group: Optional[str] = None) -> m.EntriesPage:
        """One page of history, oldest first; pass `next_after` as `after` for the next page.
        `member`, `project`: a team account's entries of that member and/or project only.
        `group="operation"`: one line per operation in `operations` (`limit` counts them).
        `iter_entries` walks every page."""
        return self._run(Operations.list_entries, account, query={"limit": limit, "after": after, "member": member, "project": project, "group": group})

    @operation("getBalance", "GET", "/v1/accounts/{id}/balance", {200: m.BalanceAt})
    def get_balance(self, account: str, *, as_of: Optional[TimeLike] = None) -> m.BalanceAt:
        as_of_text = time_to_wire(as_of, "as_of") if as_of is not None else None
        return self._run(Operations.get_balance, account, query={"as_of": as_of_text})

    @operation("grantCredits", "POST", "/v1/accounts/{id}/grants", {201: m.Lot})
    def grant(
        self,
        account: str,
        amount: AmountLike,
        reason: str,
        *,
        source: Optional[str] = None,
        expires_at: Optional[TimeLike] = None,
        valid_for: Optional[Union[str, timedelta]] = None,
        never_expires: bool = False,
        effective_at: Optional[TimeLike] = None,
        scope: Optional[Iterable[str]] = None,
        reference: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> m.Lot:
        """Grants credits as a new lot (admin key). At most one of `expires_at`, `valid_for`,
        `never_expires`; none: the source's default validity."""
        body = _body(
            amount=amount_to_wire(amount),
            source=source,
            expires_at=time_to_wire(expires_at, "expires_at") if expires_at is not None else None,
            valid_for=duration_to_wire(valid_for) if valid_for is not None else None,
            never_expires=True if never_expires else None,
            effective_at=time_to_wire(effective_at, "effective_at") if effective_at is not None else None,
            scope=list(scope) if scope is not None else None,
            reason=reason,
            reference=reference,
        )
        return self._run(Operations.grant, account, body=body, key=idempotency_key, changes=True)

    # ---- subscriptions and rewards ----

    @operation("subscribe", "PUT", "/v1/accounts/{id}/subscription", {200: m.Subscription})
    def subscribe(self, account: str, plan: str, *, allocation: Optional[AmountLike] = None, idempotency_key: Optional[str] = None) -> m.Subscription:
        body = _body(plan=plan, allocation=amount_to_wire(allocation, "allocation") if allocation is not None else None)
        return self._run(Operations.subscribe, account, body=body, key=idempotency_key, changes=True)

    @operation("cancelSubscription", "DELETE", "/v1/accounts/{id}/subscription", {200: m.Subscription})
    def cancel_subscription(self, account: str, *, idempotency_key: Optional[str] = None) -> m.Subscription:
        return self._run(Operations.cancel_subscription, account, key=idempotency_key, changes=True)

    @operation("markPastDue", "POST", "/v1/accounts/{id}/subscription/past_due", {200: m.Subscription})
    def mark_past_due(self, account: str, *, idempotency_key: Optional[str] = None) -> m.Subscription:
        return self._run(Operations.mark_past_due, account, key=idempotency_key, changes=True)

    @operation("resumeSubscription", "POST", "/v1/accounts/{id}/subscription/resume", {200: m.Subscription})
    def resume_subscription(self, account: str, *, idempotency_key: Optional[str] = None) -> m.Subscription:
        return self._run(Operations.resume_subscription, account, key=idempotency_key, changes=True)

    @operation("claimDailyReward", "POST", "/v1/accounts/{id}/rewards/daily", {201: m.RewardClaim})
    def claim_daily_reward(self, account: str, *, idempotency_key: Optional[str] = None) -> m.RewardClaim:
        return self._run(Operations.claim_daily_reward, account, key=idempotency_key, changes=True)

    # ---- end-user tokens ----

    @operation("createToken", "POST", "/v1/accounts/{id}/tokens", {201: m.Token})
    def create_token(self, account: str, *, ttl_s: Optional[int] = None, member: Optional[str] = None) -> m.Token:
        """Mints an end-user token that reads only this account (`client.for_token(t.token)`);
        with `member`, a token for that member of a team account, reading what the member's
        role allows. Not stored, so no Idempotency-Key: a retry mints another, equally valid
        token."""
        return self._run(Operations.create_token, account, body=_body(ttl_s=ttl_s, member=member))

    @operation("revokeTokens", "POST", "/v1/accounts/{id}/tokens/revoke", {200: m.TokenRevocation})
    def revoke_tokens(self, account: str, *, token_id: Optional[str] = None, all: bool = False) -> m.TokenRevocation:
        """Revokes one token of the account (`token_id`, the `Token.id` it was issued with) or,
        with `all=True`, every token issued before now; in force for the next request. Not a
        ledger change, so no Idempotency-Key: the server says a repeat is harmless, so it is
        retried like a read."""
        if (token_id is None) == (not all):
            raise ValueError("revoke_tokens: pass exactly one of token_id and all=True")
        body = {"token_id": token_id} if token_id is not None else {"all": True}
        return self._run(Operations.revoke_tokens, account, body=body)

    # ---- pricing ----

    @operation("quote", "POST", "/v1/quotes", {200: m.Quote})
    def quote(self, tool: str, params: Params, *, account: Optional[str] = None, plan: Optional[str] = None) -> m.Quote:
        """Prices a job with its breakdown; changes nothing."""
        return self._run(Operations.quote, body=_body(tool=tool, params=_params(params, "params"), account=account, plan=plan))

    @operation("getPricing", "GET", "/v1/pricing", {200: m.PriceTable})
    def get_pricing(self) -> m.PriceTable:
        return self._run(Operations.get_pricing)

    @operation("getPlans", "GET", "/v1/plans", {200: m.Plans})
    def get_plans(self) -> m.Plans:
        return self._run(Operations.get_plans)

    @operation("getPacks", "GET", "/v1/packs", {200: m.Packs})
    def get_packs(self) -> m.Packs:
        return self._run(Operations.get_packs)

    # ---- holds ----

    @operation("createHold", "POST", "/v1/holds", {201: m.Hold, 200: m.IncludedJob})
    def create_hold(
        self,
        account: str,
        *,
        tool: Optional[str] = None,
        params: Optional[Params] = None,
        amount: Optional[AmountLike] = None,
        ttl_s: Optional[int] = None,
        member: Optional[str] = None,
        project: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Union[m.Hold, m.IncludedJob]:
        """Reserves a job's cost: priced from `tool` and `params`, or a plain `amount` (with an
        optional `tool`). A job the plan includes answers an `IncludedJob` (nothing held). On a
        team account `member` (required) is who spends and `project` what for; its budgets
        apply (`BudgetExceeded`)."""
        body = _body(account=account, tool=tool, params=_params(params, "params"), amount=amount_to_wire(amount) if amount is not None else None, ttl_s=ttl_s, member=member, project=project)
        return self._run(Operations.create_hold, body=body, key=idempotency_key, changes=True)

    @operation("getHold", "GET", "/v1/holds/{id}", {200: m.Hold})
    def get_hold(self, hold: str) -> m.Hold:
        return self._run(Operations.get_hold, hold)

    @operation("captureHold", "POST", "/v1/holds/{id}/capture", {200: m.Capture})
    def capture(self, hold: str, *, usage: Optional[Params] = None, amount: Optional[AmountLike] = None, outcome: Optional[str] = None, idempotency_key: Optional[str] = None) -> m.Capture:
        """Turns the hold (or part of it) into a spend: `usage` is the job's actual usage
        (priced with the hold's price book), `amount` a number of credits, neither the whole hold.
        `outcome` ("usable" or "rejected") says what the job's output turned out to be."""
        body = _body(usage=_params(usage, "usage"), amount=amount_to_wire(amount) if amount is not None else None, outcome=outcome)
        return self._run(Operations.capture, hold, body=body, key=idempotency_key, changes=True)

    @operation("releaseHold", "POST", "/v1/holds/{id}/release", {200: m.Release})
    def release(self, hold: str, *, reason: Optional[str] = None, idempotency_key: Optional[str] = None) -> m.Release:
        return self._run(Operations.release, hold, body=_body(reason=reason), key=idempotency_key, changes=True)

    # ---- spends ----

    @operation("createSpend", "POST", "/v1/spends", {201: m.Spend, 200: m.IncludedJob})
    def create_spend(
        self,
        account: str,
        *,
        tool: Optional[str] = None,
        params: Optional[Params] = None,
        amount: Optional[AmountLike] = None,
        member: Optional[str] = None,
        project: Optional[str] = None,
        outcome: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Union[m.Spend, m.IncludedJob]:
        """Takes a job's cost at once; `member` and `project` as for `create_hold`; `outcome`
        ("usable" or "rejected") as for `capture`."""
        body = _body(account=account, tool=tool, params=_params(params, "params"), amount=amount_to_wire(amount) if amount is not None else None, member=member, project=project, outcome=outcome)
        return self._run(Operations.create_spend, body=body, key=idempotency_key, changes=True)

    @operation("getSpend", "GET", "/v1/spends/{id}", {200: m.Spend})
    def get_spend(self, spend: str) -> m.Spend:
        return self._run(Operations.get_spend, spend)

    @operation("refundSpend", "POST", "/v1/spends/{id}/refunds", {200: m.Refund})
    def refund(self, spend: str, reason: str, *, amount: Optional[AmountLike] = None, idempotency_key: Optional[str] = None) -> m.Refund:
        """Returns credits of a spend to their lots; `amount` None: all that is left."""
        body = _body(amount=amount_to_wire(amount) if amount is not None else None, reason=reason)
        return self._run(Operations.refund, spend, body=body, key=idempotency_key, changes=True)

    @operation("markSpendOutcome", "POST", "/v1/spends/{id}/outcome", {200: m.SpendOutcome})
    def mark_outcome(self, spend: str, outcome: str, *, idempotency_key: Optional[str] = None) -> m.SpendOutcome:
        """Marks what a spend's output turned out to be ("usable" or "rejected"), once; for a
        captured hold, `spend` is the spend its capture made."""
        return self._run(Operations.mark_outcome, spend, body=_body(outcome=outcome), key=idempotency_key, changes=True)

    # ---- purchases and voids ----

    @operation("createPurchase", "POST", "/v1/purchases", {201: m.Purchase})
    def create_purchase(
        self,
        account: str,
        pack: str,
        currency: str,
        payment_ref: str,
        *,
        region: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> m.Purchase:
        """Records a paid pack. `payment_ref` is the purchase's identity: without an
        `idempotency_key` the server keys the request by it, so a retry (from this process or
        another) credits once."""
        body = _body(account=account, pack=pack, currency=currency, region=region, payment_ref=payment_ref)
        return self._run(Operations.create_purchase, body=body, key=idempotency_key)

    @operation("voidPurchase", "POST", "/v1/purchases/{id}/void", {200: m.PurchaseVoid})
    def void_purchase(self, purchase: str, reason: str, *, idempotency_key: Optional[str] = None) -> m.PurchaseVoid:
        return self._run(Operations.void_purchase, purchase, body=_body(reason=reason), key=idempotency_key, changes=True)

    @operation("voidLot", "POST", "/v1/lots/{id}/void", {200: m.LotVoid})
    def void_lot(self, lot: str, reason: str, *, idempotency_key: Optional[str] = None) -> m.LotVoid:
        return self._run(Operations.void_lot, lot, body=_body(reason=reason), key=idempotency_key, changes=True)

    # ---- events and alerts (docs/events.md) ----

    @operation("listEvents", "GET", "/v1/events", {200: m.EventsPage})
    def list_events(self, *, types: Optional[Union[str, Iterable[str]]] = None, limit: Optional[int] = None, after: Optional[str] = None) -> m.EventsPage:
        """One page of every account's events in time order (admin or service key); pass
        `next_after` as `after` for the next page, and poll again later when `has_more` is
        false. `types`: "balance.low,credits.expiring" or a list of types. `iter_events`
        walks the pages."""
        return self._run(Operations.list_events, query={"types": _types(types), "limit": limit, "after": after})

    @operation("listAccountEvents", "GET", "/v1/accounts/{id}/events", {200: m.EventsPage})
    def list_account_events(self, account: str, *, types: Optional[Union[str, Iterable[str]]] = None, limit: Optional[int] = None, after: Optional[str] = None) -> m.EventsPage:
        """One page of the account's events, oldest first; `after` is an event id (the
        previous page's `next_after`)."""
        return self._run(Operations.list_account_events, account, query={"types": _types(types), "limit": limit, "after": after})

    @operation("getAlerts", "GET", "/v1/accounts/{id}/alerts", {200: m.Alerts})
    def get_alerts(self, account: str) -> m.Alerts:
        """The alert settings in force: the account's own, or its plan's."""
        return self._run(Operations.get_alerts, account)

    @operation("setAlerts", "PUT", "/v1/accounts/{id}/alerts", {200: m.Alerts})
    def set_alerts(self, account: str, *, low_balance: Optional[AmountLike] = None, expiring_notice: Optional[Union[str, timedelta]] = None, idempotency_key: Optional[str] = None) -> m.Alerts:
        """Sets the account's own alert settings; one left None is its plan's. `low_balance`
        0: no balance.low; `expiring_notice` "PT0S" or timedelta(0): no credits.expiring."""
        notice = None
        if expiring_notice is not None:
            notice = "PT0S" if expiring_notice == timedelta(0) else duration_to_wire(expiring_notice)
        body = _body(low_balance=amount_to_wire(low_balance, "low_balance") if low_balance is not None else None, expiring_notice=notice)
        return self._run(Operations.set_alerts, account, body=body, key=idempotency_key, changes=True)

    @operation("getAutoTopup", "GET", "/v1/accounts/{id}/auto_topup", {200: m.AutoTopup})
    def get_auto_topup(self, account: str) -> m.AutoTopup:
        """The account's auto top-up settings, the pack's price now, the outstanding request."""
        return self._run(Operations.get_auto_topup, account)

    @operation("setAutoTopup", "PUT", "/v1/accounts/{id}/auto_topup", {200: m.AutoTopup})
    def set_auto_topup(self, account: str, *, below: AmountLike, pack: str, currency: str, region: Optional[str] = None, idempotency_key: Optional[str] = None) -> m.AutoTopup:
        """Turns auto top-up on or changes it: when available credits fall below `below`, the
        ledger asks for `pack` (an `auto_topup.requested` event with a `payment_ref`). An
        account already below is asked for at once."""
        body = _body(below=amount_to_wire(below, "below"), pack=pack, currency=currency, region=region)
        return self._run(Operations.set_auto_topup, account, body=body, key=idempotency_key, changes=True)

    @operation("disableAutoTopup", "DELETE", "/v1/accounts/{id}/auto_topup", {200: m.AutoTopup})
    def disable_auto_topup(self, account: str, *, idempotency_key: Optional[str] = None) -> m.AutoTopup:
        """Turns auto top-up off; the outstanding request is dropped."""
        return self._run(Operations.disable_auto_topup, account, key=idempotency_key, changes=True)

    @operation("failAutoTopup", "POST", "/v1/auto_topups/{id}/fail", {200: m.AutoTopup})
    def fail_auto_topup(self, request_id: str, *, reason: Optional[str] = None, idempotency_key: Optional[str] = None) -> m.AutoTopup:
        """The charge for request `request_id` failed: it ends, and the ledger asks again after
        a backoff if the account is still below its threshold."""
        return self._run(Operations.fail_auto_topup, request_id, body=_body(reason=reason), key=idempotency_key, changes=True)

    @operation("cancelAutoTopup", "POST", "/v1/auto_topups/{id}/cancel", {200: m.AutoTopup})
    def cancel_auto_topup(self, request_id: str, *, reason: Optional[str] = None, idempotency_key: Optional[str] = None) -> m.AutoTopup:
        """The customer withdrew request `request_id`: it ends, and no other is asked until the
        account rises to its threshold and falls below it again."""
        return self._run(Operations.cancel_auto_topup, request_id, body=_body(reason=reason), key=idempotency_key, changes=True)

    # ---- team accounts: members and budgets (docs/api.md "Teams") ----

    @operation("addMember", "POST", "/v1/accounts/{id}/members", {201: m.Member})
    def add_member(self, account: str, user: str, *, role: Optional[str] = None, idempotency_key: Optional[str] = None) -> m.Member:
        """Adds `user` to the team account; `role` owner, admin, member (None: member) or
        viewer. `MemberExists` if it is one; `LimitExceeded` past the plan's `team_members`."""
        return self._run(Operations.add_member, account, body=_body(user=user, role=role), key=idempotency_key, changes=True)

    @operation("listMembers", "GET", "/v1/accounts/{id}/members", {200: m.Members})
    def list_members(self, account: str) -> m.Members:
        """The team's members, in the order they were added."""
        return self._run(Operations.list_members, account)

    @operation("setMemberRole", "PATCH", "/v1/accounts/{id}/members/{user}", {200: m.Member})
    def set_member_role(self, account: str, user: str, role: str, *, idempotency_key: Optional[str] = None) -> m.Member:
        """Changes a member's role; demoting the last owner is `InvalidRequest`."""
        return self._run(Operations.set_member_role, account, sub_id=user, body={"role": role}, key=idempotency_key, changes=True)

    @operation("removeMember", "DELETE", "/v1/accounts/{id}/members/{user}", {200: m.Member})
    def remove_member(self, account: str, user: str, *, idempotency_key: Optional[str] = None) -> m.Member:
        """Removes a member (answered as it was): it starts no new hold or spend; its open holds
        can still be captured or released. Removing the last owner is `InvalidRequest`."""
        return self._run(Operations.remove_member, account, sub_id=user, key=idempotency_key, changes=True)

    @operation("addBudget", "POST", "/v1/accounts/{id}/budgets", {201: m.Budget})
    def add_budget(
        self,
        account: str,
        id: str,
        limit: AmountLike,
        period: str,
        *,
        member: Optional[str] = None,
        project: Optional[str] = None,
        anchor: Optional[TimeLike] = None,
        mode: Optional[str] = None,
        alert_at: Optional[AmountLike] = None,
        idempotency_key: Optional[str] = None,
    ) -> m.Budget:
        """Adds budget `id`: at most `limit` credits per `period` ("P1D", "P1W", "P1M") for
        `member`, `project` or both (that member within that project). `anchor`: a period
        boundary (None: the calendar one in UTC); `mode` "hard" (None: refuses a debit past the
        limit, `BudgetExceeded`) or "soft" (lets it through, marks `exceeded` and emits
        budget.exceeded); `alert_at`: the usage at which a debit emits
        budget.threshold_reached, once a period (None: none)."""
        body = _body(
            id=id,
            member=member,
            project=project,
            limit=amount_to_wire(limit, "limit"),
            period=period,
            anchor=time_to_wire(anchor, "anchor") if anchor is not None else None,
            mode=mode,
            alert_at=amount_to_wire(alert_at, "alert_at") if alert_at is not None else None,
        )
        return self._run(Operations.add_budget, account, body=body, key=idempotency_key, changes=True)

    @operation("listBudgets", "GET", "/v1/accounts/{id}/budgets", {200: m.Budgets})
    def list_budgets(self, account: str, *, member: Optional[str] = None, project: Optional[str] = None) -> m.Budgets:
        """The team's budgets with their usage in the current period; `member`, `project`: only
        those that bind that member or project (its own, and those of any)."""
        return self._run(Operations.list_budgets, account, query={"member": member, "project": project})

    @operation("getTeamUsage", "GET", "/v1/accounts/{id}/usage", {200: m.TeamUsage})
    def get_team_usage(self, account: str, *, from_: TimeLike, to: TimeLike) -> m.TeamUsage:
        """What the team's debits took in [from_, to), net of releases and refunds, in total,
        by member and by project (a member's token: its own only)."""
        query = {"from": time_to_wire(from_, "from_"), "to": time_to_wire(to, "to")}
        return self._run(Operations.get_team_usage, account, query=query)

    @operation("getTopAccounts", "GET", "/v1/reports/top-accounts", {200: m.TopAccounts})
    def get_top_accounts(self, *, from_: TimeLike, to: TimeLike, limit: Optional[int] = None) -> m.TopAccounts:
        """The accounts that used most credits over [from_, to), most first (admin or service
        key; docs/reports.md). `limit`: 1 to 100, default 10."""
        query = {"from": time_to_wire(from_, "from_"), "to": time_to_wire(to, "to"), "limit": limit}
        return self._run(Operations.get_top_accounts, query=query)

    @operation("getFinanceReport", "GET", "/v1/reports/finance", {200: m.FinanceReport})
    def get_finance_report(self, *, from_: TimeLike, to: TimeLike, currency: str, format: str = "json") -> Union[m.FinanceReport, str]:
        """Money received, recognized, deferred, breakage and refunded in `currency`, and free
        credits by source, over [from_, to) (admin or service key; docs/reports.md).
        `format="csv"`: the CSV text (figure,source,credits,money,currency)."""
        query = {"from": time_to_wire(from_, "from_"), "to": time_to_wire(to, "to"), "currency": currency}
        if format != "json":
            query["format"] = format
        return self._run(Operations.get_finance_report, query=query, text=format == "csv")

    @operation("getForecast", "GET", "/v1/accounts/{id}/forecast", {200: m.Forecast})
    def get_forecast(self, account: str, *, currency: Optional[str] = None) -> m.Forecast:
        """When the account's credits run out at its 7- and 30-day rates, what expires unused
        first, and upgrade-or-buy advice with plan and pack prices in `currency` (default USD)."""
        return self._run(Operations.get_forecast, account, query={"currency": currency})

    @operation("getBudget", "GET", "/v1/accounts/{id}/budgets/{budget}", {200: m.Budget})
    def get_budget(self, account: str, budget: str) -> m.Budget:
        """One budget: its period, `used`, `left` and `exceeded`, as of the shard's time."""
        return self._run(Operations.get_budget, account, sub_id=budget)

    @operation("updateBudget", "PATCH", "/v1/accounts/{id}/budgets/{budget}", {200: m.Budget})
    def update_budget(self, account: str, budget: str, *, limit: Optional[AmountLike] = None, mode: Optional[str] = None, alert_at: Optional[AmountLike] = None, idempotency_key: Optional[str] = None) -> m.Budget:
        """Changes a budget's `limit`, `mode` or `alert_at` ("0": none; armed from the usage
        now); its usage so far stays."""
        if limit is None and mode is None and alert_at is None:
            raise ValueError("update_budget: pass limit, mode, alert_at or several")
        body = _body(
            limit=amount_to_wire(limit, "limit") if limit is not None else None,
            mode=mode,
            alert_at=amount_to_wire(alert_at, "alert_at") if alert_at is not None else None,
        )
        return self._run(Operations.update_budget, account, sub_id=budget, body=body, key=idempotency_key, changes=True)

    @operation("removeBudget", "DELETE", "/v1/accounts/{id}/budgets/{budget}", {200: m.Budget})
    def remove_budget(self, account: str, budget: str, *, idempotency_key: Optional[str] = None) -> m.Budget:
        """Removes a budget (answered as it was)."""
        return self._run(Operations.remove_budget, account, sub_id=budget, key=idempotency_key, changes=True)

    # ---- batch, keys, operations ----

    @operation("batch", "POST", "/v1/batch", {200: m.BatchResult})
    def batch(self, requests: Iterable[Union[m.BatchRequest, Mapping[str, Any]]]) -> m.BatchResult:
        """Many requests in one round trip, each answered as if sent alone (`BatchItemResult`,
        `.error()` for its problem). A change without an `idempotency_key` gets a new one, so
        retrying the whole batch repeats no change."""
        items = []
        for r in requests:
            if isinstance(r, m.BatchRequest):
                item = {"method": r.method, "path": r.path, "body": r.body, "idempotency_key": r.idempotency_key}
            else:
                item = dict(r)
            if item.get("method", "GET") != "GET" and not item.get("idempotency_key"):
                item["idempotency_key"] = new_idempotency_key()
            items.append({k: v for k, v in item.items() if v is not None})
        return self._run(Operations.batch, body={"requests": items})

    @operation("createKey", "POST", "/v1/keys", {201: m.ApiKeyWithSecret})
    def create_key(self, name: str, *, scope: Optional[str] = None, expires_at: Optional[TimeLike] = None) -> m.ApiKeyWithSecret:
        """Creates a key (admin key): `scope` admin, service (the server's default), worker or
        read; `expires_at` None: never expires. The secret is in `.key`, shown once. Never
        retried: the server takes no Idempotency-Key here, so a repeat would make a second key."""
        body = _body(name=name, scope=scope, expires_at=time_to_wire(expires_at, "expires_at") if expires_at is not None else None)
        return self._run(Operations.create_key, body=body, retry=False)

    @operation("listKeys", "GET", "/v1/keys", {200: m.Keys})
    def list_keys(self) -> m.Keys:
        """The keys not revoked, oldest first, the admin key among them (admin key; no secrets)."""
        return self._run(Operations.list_keys)

    @operation("revokeKey", "DELETE", "/v1/keys/{id}", {200: m.RevokedKey})
    def revoke_key(self, key_id: str) -> m.RevokedKey:
        """Revokes a key at once, for good (admin key; the admin key itself cannot be: rotate it).
        Never retried: the server takes no Idempotency-Key and answers a repeat `NotFound`, so a
        retry after a lost answer would turn a success into an error; `list_keys` tells."""
        return self._run(Operations.revoke_key, key_id, retry=False)

    @operation("rotateKey", "POST", "/v1/keys/{id}/rotate", {200: m.ApiKeyWithSecret})
    def rotate_key(self, key_id: str, *, overlap_s: int) -> m.ApiKeyWithSecret:
        """A new secret for the key (in `.key`, shown once); the secrets in use keep working
        until `previous_valid_until` (now + `overlap_s`; 0: they end at once). Never retried:
        a repeat would mint another secret, and the one in the lost answer would be lost with it."""
        if isinstance(overlap_s, bool) or not isinstance(overlap_s, int):
            raise TypeError("rotate_key: overlap_s is a whole number of seconds")
        return self._run(Operations.rotate_key, key_id, body={"overlap_s": overlap_s}, retry=False)

    # ---- webhooks (docs/webhooks.md; admin key) ----

    @operation("createWebhook", "POST", "/v1/webhooks", {201: m.WebhookWithSecret})
    def create_webhook(self, url: str, *, event_types: Optional[Iterable[str]] = None, description: Optional[str] = None) -> m.WebhookWithSecret:
        """Registers an endpoint for the events from now on; `event_types` None: every type.
        The signing secret is in `.secret`, shown once. Never retried: the server takes no
        Idempotency-Key here, so a repeat would register a second endpoint."""
        body = _body(url=url, event_types=list(event_types) if event_types is not None else None, description=description)
        return self._run(Operations.create_webhook, body=body, retry=False)

    @operation("listWebhooks", "GET", "/v1/webhooks", {200: m.Webhooks})
    def list_webhooks(self) -> m.Webhooks:
        return self._run(Operations.list_webhooks)

    @operation("getWebhook", "GET", "/v1/webhooks/{id}", {200: m.Webhook})
    def get_webhook(self, webhook_id: str) -> m.Webhook:
        return self._run(Operations.get_webhook, webhook_id)

    @operation("deleteWebhook", "DELETE", "/v1/webhooks/{id}", {200: m.Webhook})
    def delete_webhook(self, webhook_id: str) -> m.Webhook:
        """Deletes the endpoint for good. Never retried: a repeat after a lost answer is `NotFound`."""
        return self._run(Operations.delete_webhook, webhook_id, retry=False)

    @operation("rotateWebhookSecret", "POST", "/v1/webhooks/{id}/rotate_secret", {200: m.WebhookWithSecret})
    def rotate_webhook_secret(self, webhook_id: str, *, overlap_s: Optional[int] = None) -> m.WebhookWithSecret:
        """A new signing secret (in `.secret`, shown once); the old one signs beside it for
        `overlap_s` seconds (None: the server's default, 86400). Never retried: a repeat would
        mint another secret."""
        if overlap_s is not None and (isinstance(overlap_s, bool) or not isinstance(overlap_s, int)):
            raise TypeError("rotate_webhook_secret: overlap_s is a whole number of seconds")
        return self._run(Operations.rotate_webhook_secret, webhook_id, body=_body(overlap_s=overlap_s), retry=False)

    @operation("enableWebhook", "POST", "/v1/webhooks/{id}/enable", {200: m.Webhook})
    def enable_webhook(self, webhook_id: str) -> m.Webhook:
        """Delivers again to a disabled endpoint, from where it stopped (a repeat is harmless)."""
        return self._run(Operations.enable_webhook, webhook_id)

    @operation("listWebhookDeliveries", "GET", "/v1/webhooks/{id}/deliveries", {200: m.WebhookDeliveries})
    def list_webhook_deliveries(self, webhook_id: str, *, limit: Optional[int] = None) -> m.WebhookDeliveries:
        """The endpoint's delivery attempts, newest first."""
        return self._run(Operations.list_webhook_deliveries, webhook_id, query={"limit": limit})

    @operation("redeliverWebhookEvent", "POST", "/v1/webhooks/{id}/deliveries/{event_id}/redeliver", {202: m.Redelivery})
    def redeliver_webhook_event(self, webhook_id: str, event_id: str) -> m.Redelivery:
        """Sends one event to the endpoint again, out of turn (queued; see `list_webhook_deliveries`)."""
        return self._run(Operations.redeliver_webhook_event, webhook_id, sub_id=event_id)

    @operation("listPlatformEvents", "GET", "/v1/platform/events", {200: m.EventsPage})
    def list_platform_events(self, *, after: Optional[str] = None, limit: Optional[int] = None) -> m.EventsPage:
        """Events about the platform (`webhook.disabled`), oldest first (admin key); pass
        `next_after` as `after` for the next page (it is None when the page is empty)."""
        return self._run(Operations.list_platform_events, query={"after": after, "limit": limit})

    @operation("setClock", "POST", "/v1/admin/clock", {200: m.Clock})
    def set_clock(self, now: TimeLike) -> m.Clock:
        """Moves a `--clock manual` server's time forward (tests)."""
        return self._run(Operations.set_clock, body={"now": time_to_wire(now, "now")})

    @operation("reloadConfig", "POST", "/v1/admin/reload", {200: m.ConfigReload})
    def reload_config(self) -> m.ConfigReload:
        """Makes the server read its configuration file again (admin key): a new price book
        version, plans, packs, seasons, `[log]`. A file the server would not start with raises
        `InvalidConfig` (its `errors` say why) and changes nothing. Safe to retry."""
        return self._run(Operations.reload_config)

    @operation("listAudit", "GET", "/v1/audit", {200: m.AuditPage})
    def list_audit(
        self,
        *,
        key: Optional[str] = None,
        account: Optional[str] = None,
        from_: Optional[TimeLike] = None,
        to: Optional[TimeLike] = None,
        cursor: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> m.AuditPage:
        """Who did what (admin or service key): every ledger change with the credential and
        idempotency key that made it, and every admin action, oldest first. `key` is a key's or
        a token's id; pass `next_cursor` as `cursor` for the next page."""
        query = {
            "key": key,
            "account": account,
            "from": None if from_ is None else time_to_wire(from_, "from_"),
            "to": None if to is None else time_to_wire(to, "to"),
            "cursor": cursor,
            "limit": limit,
        }
        return self._run(Operations.list_audit, query=query)

    @operation("health", "GET", "/healthz", {200: m.Health})
    def health(self) -> m.Health:
        return self._run(Operations.health)

    @operation("metrics", "GET", "/metrics", {200: str})
    def metrics(self) -> str:
        """Prometheus text exposition."""
        return self._run(Operations.metrics, text=True)


__all__ = ["Operations", "Operation", "operation", "operations_of"]
