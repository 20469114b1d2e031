"""Python client of Tally's HTTP API (docs/openapi.yaml): standard library only.

- Amounts are `decimal.Decimal` (with `_micro` ints), ids `str`, times aware `datetime` (UTC).
- Every call that changes the ledger sends an `Idempotency-Key` made for that call and reused
  on its retries (connection errors and 5xx, exponential backoff; never 4xx). Pass
  `idempotency_key=` to tie a call to your own job id, so that a retry from another process
  is recognised too.
- Problems become exceptions: `TallyError` and its subclasses (`InsufficientCredits` with
  `.shortfall`, `IdempotencyConflict`, `NotFound`, ...).
"""

from . import errors, models
from .client import AsyncTallyClient, TallyClient
from .errors import *  # noqa: F401,F403 - the exception classes are part of the package's API
from .models import *  # noqa: F401,F403

__all__ = ["TallyClient", "AsyncTallyClient", "errors", "models"] + errors.__all__ + models.__all__

__version__ = "0.1.0"
