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


class RateLimited(AppError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None, field: str | None = None):
        super().__init__(message, code=code, field=field)
        self.retry_after = max(1, int(retry_after))

    @property
    def headers(self) -> dict:
        return {"Retry-After": str(self.retry_after)}
