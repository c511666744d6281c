"""Errors every layer may raise; the API turns them into the contract's JSON error bodies.

Pure Python on purpose: `core` raises these too, so this module imports nothing of ours.
"""


class AppError(Exception):
    """An error with an HTTP status and a snake_case code callers can branch on."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}

    @property
    def headers(self) -> dict:
        """Response headers the answer carries besides the body (Retry-After on a retryable refusal)."""
        return {}


class InvalidInput(AppError):
    status = 400
    code = "invalid_input"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"


class RuleViolation(AppError):
    """Valid input that the program's business rules refuse."""

    status = 422
    code = "refused"


class TryAgain(AppError):
    """Contention that did not clear within a few quick retries: a concurrent writer kept winning
    (`409 conflict_retry`) or DynamoDB kept cancelling the write (`503 busy`). Nothing was written, so
    the same request (the same idempotency key) may simply be sent again after `Retry-After` seconds."""

    status = 503
    code = "busy"

    def __init__(self, message: str = "Too many changes at once; try again in a moment.", *, status: int = 503,
                 code: str | None = None, retry_after: int = 1, field: str | None = None):
        super().__init__(message, code=code or ("conflict_retry" if status == 409 else "busy"), field=field)
        self.status = status
        self.retry_after = max(1, int(retry_after))

    @property
    def headers(self) -> dict:
        return {"Retry-After": str(self.retry_after)}


class RateLimited(AppError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None, field: str | None = None):
        super().__init__(message, code=code, field=field)
        self.retry_after = max(1, int(retry_after))

    @property
    def headers(self) -> dict:
        return {"Retry-After": str(self.retry_after)}
