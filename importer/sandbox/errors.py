"""Error answers of the emulated service: the error code and the HTTP status it travels with."""

from __future__ import annotations

HTTP_STATUS = {
    "InvalidParameterException": 400,
    "InvalidRequestException": 400,
    "IdempotentParameterMismatchException": 400,
    "ServiceQuotaExceededException": 402,
    "AccessDeniedException": 403,
    "MissingAuthenticationTokenException": 403,
    "InvalidSignatureException": 403,
    "ResourceNotFoundException": 404,
    "ContactNotFoundException": 410,
    "UnknownOperationException": 404,
    "ThrottlingException": 429,
    "InternalServiceException": 500,
}


class ServiceError(Exception):
    """An error answer: sent as header ``x-amzn-ErrorType: <code>`` and body ``{"Message"}``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.code]


def invalid_parameter(message: str) -> ServiceError:
    """The request breaks the API model (type, required member, length)."""
    return ServiceError("InvalidParameterException", message)


def invalid_request(message: str) -> ServiceError:
    """The request is well-formed but breaks a service rule."""
    return ServiceError("InvalidRequestException", message)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)
