class DomainError(Exception):
    """A rule of the domain was broken. `code` is stable and machine-readable."""

    code = "invalid"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidValue(DomainError):
    code = "invalid"


class TurnNotPending(DomainError):
    code = "turn_not_pending"
