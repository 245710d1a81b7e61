"""Exceptions raised by hinm.

Every failure of a hinm C API call becomes a :class:`hinm.Error` that carries
the status (``.status``, e.g. ``"HINM_STATUS_IO_ERROR"``, and ``.code``, its
number) and the library's message. Bad values and bad data types are also
``ValueError`` / ``TypeError``, so ordinary Python code can catch them as such.
"""

from __future__ import annotations

from . import _hinm


class Error(RuntimeError):
    """A hinm operation failed; ``.status`` names the C API status."""

    def __init__(self, message: str, status: str = "HINM_STATUS_INTERNAL_ERROR",
                 code: int = 14) -> None:
        # All three in args, so the exception pickles and round-trips.
        super().__init__(message, status, code)
        self.message = message
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return f"{self.message} [{self.status}]"


class InvalidValueError(Error, ValueError):
    """An argument is out of range or has the wrong shape."""


class InvalidDtypeError(Error, TypeError):
    """An array has a data type hinm does not accept there."""


_VALUE_STATUSES = {
    _hinm.STATUS_INVALID_VALUE,
    _hinm.STATUS_SIZE_OVERFLOW,
    _hinm.STATUS_MISALIGNED,
}


def _from_status(code: int, status: str, message: str) -> Error:
    """The exception for a failed C API call (registered with the extension)."""
    if code in _VALUE_STATUSES:
        return InvalidValueError(message, status, code)
    if code == _hinm.STATUS_INVALID_DTYPE:
        return InvalidDtypeError(message, status, code)
    return Error(message, status, code)


def invalid_value(message: str) -> InvalidValueError:
    """A ValueError found by the bindings before calling the library."""
    return InvalidValueError(message, "HINM_STATUS_INVALID_VALUE",
                             _hinm.STATUS_INVALID_VALUE)


def invalid_dtype(message: str) -> InvalidDtypeError:
    """A TypeError found by the bindings before calling the library."""
    return InvalidDtypeError(message, "HINM_STATUS_INVALID_DTYPE",
                             _hinm.STATUS_INVALID_DTYPE)


_hinm._set_error_factory(_from_status)
