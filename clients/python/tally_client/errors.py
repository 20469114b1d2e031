"""application/problem+json answers as typed exceptions (docs/api.md, Problem types).

Every error the client raises is a `TallyError`. A problem answer raises the class its `type`
names (`PROBLEM_TYPES`); a problem type this client does not know raises the class of its
status family (`Conflict` for an unknown 409...), so a newer server never breaks a caller's
`except`. tests/test_openapi_coverage.py fails when the OpenAPI file has a problem type
missing from `PROBLEM_TYPES`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from .models import BudgetRefusal


class RequestInfo:
    """The request an error answered: for logs and for retrying by hand."""

    __slots__ = ("method", "path", "body", "idempotency_key", "attempts")

    def __init__(self, method: str, path: str, body: Any, idempotency_key: Optional[str], attempts: int = 1):
        self.method = method
        self.path = path
        self.body = body
        self.idempotency_key = idempotency_key
        self.attempts = attempts

    def __repr__(self) -> str:
        return f"RequestInfo({self.method} {self.path}, key={self.idempotency_key!r}, attempts={self.attempts})"


class TallyError(Exception):
    """Base of every error: `type`, `status`, `title`, `detail`, the whole `problem`, and the
    `request` (method, path, body, Idempotency-Key, attempts) it answered."""

    def __init__(
        self,
        type: str,
        status: int,
        detail: str,
        title: str = "",
        problem: Optional[dict] = None,
        request: Optional[RequestInfo] = None,
    ):
        super().__init__(f"{status} {type}: {detail}" if status else f"{type}: {detail}")
        self.type = type
        self.status = status
        self.title = title
        self.detail = detail
        self.problem = problem or {}
        self.request = request

    @property
    def request_body(self) -> Any:
        return self.request.body if self.request else None

    @property
    def request_id(self) -> Optional[str]:
        """The server's id of the request that got this problem (its `X-Request-Id`): what to
        look for in the server's log."""
        value = self.problem.get("request_id")
        return value if isinstance(value, str) else None

    @property
    def owner(self) -> Optional[str]:
        """`Unavailable` from a node without the shard leases: the node that holds them."""
        value = self.problem.get("owner")
        return value if isinstance(value, str) else None

    @property
    def errors(self) -> list[str]:
        """`InvalidConfig`: every message about the file, as a start of the server with it would
        give them; empty for other problems."""
        value = self.problem.get("errors")
        return [str(e) for e in value] if isinstance(value, list) else []


class ConnectionFailed(TallyError):
    """The server could not be reached (or the connection broke) on every attempt."""

    def __init__(self, detail: str, request: Optional[RequestInfo] = None):
        super().__init__("connection_failed", 0, detail, "Connection failed", None, request)


class UnexpectedResponse(TallyError):
    """An answer that is neither the documented reply nor a problem (not JSON, say)."""


# 400
class InvalidRequest(TallyError):
    pass


class IdempotencyKeyMissing(InvalidRequest):
    pass


class PricingError(InvalidRequest):
    """The job cannot be priced (a tool, parameter or value the price book does not have)."""


class UnknownTool(PricingError):
    pass


class UnknownParameter(PricingError):
    pass


class UnknownOption(PricingError):
    pass


class MissingParameter(PricingError):
    pass


class BadValue(PricingError):
    pass


# 401, 402, 403, 404, 405
class Unauthorized(TallyError):
    pass


class _Shortfall(TallyError):
    """A refused debit: `shortfall` (Decimal credits) says how much is missing."""

    @property
    def shortfall(self) -> Optional[Decimal]:
        value = self.problem.get("shortfall")
        return Decimal(value) if value is not None else None

    @property
    def shortfall_micro(self) -> Optional[int]:
        return self.problem.get("shortfall_micro")


class InsufficientCredits(_Shortfall):
    """Rule 1: nothing was taken. `shortfall` (Decimal credits) says how much is missing."""


class BudgetExceeded(_Shortfall):
    """Rule 11: a hard budget of a team account refused the debit whole; nothing was taken.
    `budget` names it (id, limit, used, left); `shortfall` is what the debit lacks beyond
    `budget.left`. Not an `InsufficientCredits`: more credits would not let it through."""

    @property
    def budget(self) -> Optional["BudgetRefusal"]:
        from ._codec import decode_model
        from .models import BudgetRefusal

        value = self.problem.get("budget")
        return decode_model(BudgetRefusal, value, "problem.budget") if isinstance(value, dict) else None


class Forbidden(TallyError):
    pass


class EditingNotAllowed(Forbidden):
    """An end-user token changing alerts or auto top-up that the platform's `[tokens]` does not
    allow, or past its limits (`detail` says which)."""


class NotAMember(Forbidden):
    """A hold or spend on a team account by a user who is not (or no longer) a member, or a
    role change or removal of one. A `Forbidden`, as a viewer's hold or spend is."""


class NotFound(TallyError):
    pass


class MethodNotAllowed(TallyError):
    pass


# 409: the ledger's state refuses the request
class Conflict(TallyError):
    pass


class AccountExists(Conflict):
    pass


class HoldExpired(Conflict):
    pass


class HoldNotActive(Conflict):
    pass


class CaptureExceedsHold(Conflict):
    pass


class RefundExceedsSpend(Conflict):
    pass


class SpendNotRefundable(Conflict):
    pass


class LotVoided(Conflict):
    pass


class IdempotencyConflict(Conflict):
    """The Idempotency-Key was already used for a different request."""


class PaymentRefUsed(Conflict):
    pass


class NotSubscribed(Conflict):
    pass


class AlreadyClaimed(Conflict):
    pass


class RewardUnavailable(Conflict):
    pass


class MemberExists(Conflict):
    pass


class BudgetExists(Conflict):
    pass


class OutcomeConflict(Conflict):
    pass


# 413, 415, 422, 5xx
class PayloadTooLarge(TallyError):
    pass


class UnsupportedMediaType(TallyError):
    pass


class LimitExceeded(TallyError):
    """A bound on the account's state (lots, open holds, credits) or on a size."""


class InvalidConfig(TallyError):
    """`reload_config`: the server's configuration file was not reloaded (nothing changed);
    `errors` says why."""


class ServerError(TallyError):
    """A 5xx answer, after the client's retries."""


class Unavailable(ServerError):
    pass


class InternalError(ServerError):
    pass


PROBLEM_TYPES: dict[str, type] = {
    "invalid_request": InvalidRequest,
    "idempotency_key_missing": IdempotencyKeyMissing,
    "unknown_tool": UnknownTool,
    "unknown_parameter": UnknownParameter,
    "unknown_option": UnknownOption,
    "missing_parameter": MissingParameter,
    "bad_value": BadValue,
    "unauthorized": Unauthorized,
    "insufficient_credits": InsufficientCredits,
    "budget_exceeded": BudgetExceeded,
    "forbidden": Forbidden,
    "editing_not_allowed": EditingNotAllowed,
    "not_a_member": NotAMember,
    "not_found": NotFound,
    "method_not_allowed": MethodNotAllowed,
    "account_exists": AccountExists,
    "hold_expired": HoldExpired,
    "hold_not_active": HoldNotActive,
    "capture_exceeds_hold": CaptureExceedsHold,
    "refund_exceeds_spend": RefundExceedsSpend,
    "spend_not_refundable": SpendNotRefundable,
    "lot_voided": LotVoided,
    "idempotency_conflict": IdempotencyConflict,
    "payment_ref_used": PaymentRefUsed,
    "not_subscribed": NotSubscribed,
    "already_claimed": AlreadyClaimed,
    "reward_unavailable": RewardUnavailable,
    "member_exists": MemberExists,
    "budget_exists": BudgetExists,
    "outcome_conflict": OutcomeConflict,
    "payload_too_large": PayloadTooLarge,
    "unsupported_media_type": UnsupportedMediaType,
    "limit_exceeded": LimitExceeded,
    "invalid_config": InvalidConfig,
    "unavailable": Unavailable,
    "internal": InternalError,
}

_BY_STATUS: dict[int, type] = {
    400: InvalidRequest,
    401: Unauthorized,
    402: InsufficientCredits,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: LimitExceeded,
    503: Unavailable,
}


def error_from_problem(status: int, problem: Any, request: Optional[RequestInfo]) -> TallyError:
    """The exception for a problem answer (not raised)."""
    if not isinstance(problem, dict):
        problem = {}
    type_ = str(problem.get("type") or "")
    cls = PROBLEM_TYPES.get(type_) or _BY_STATUS.get(status) or (ServerError if status >= 500 else TallyError)
    return cls(
        type_ or f"http_{status}",
        int(problem.get("status") or status),
        str(problem.get("detail") or ""),
        str(problem.get("title") or ""),
        problem,
        request,
    )

__all__ = [name for name, obj in list(globals().items()) if isinstance(obj, type) and issubclass(obj, (TallyError, RequestInfo)) and not name.startswith("_")] + [
    "PROBLEM_TYPES",
    "error_from_problem",
]
