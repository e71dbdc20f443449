"""The errors Shipyard raises, one tree for every layer.

    ShipyardError                  anything Shipyard raises on purpose
    ├── InvalidParameter           a request that can never succeed as written
    │   └── LimitExceeded          a value or batch over one of Shipyard's limits
    ├── NotFound                   the thing named does not exist
    ├── AlreadyExists              a name or id that must be unique is taken
    ├── Conflict                   the request clashes with the current state
    ├── Unauthenticated            no valid credentials were given
    └── PermissionDenied           the credentials do not allow this

Each class carries a stable ``code``. The layers at the edge (the MLflow wire protocol, the CLI)
translate these codes in one place each; nothing below them knows about HTTP statuses.
"""

from __future__ import annotations


class ShipyardError(Exception):
    """Base class of every error Shipyard raises on purpose."""

    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameter(ShipyardError):
    """The request is malformed or names a value that is not allowed."""

    code = "invalid_parameter"


class LimitExceeded(InvalidParameter):
    """A value, a batch or a page size is over one of the documented limits."""

    code = "limit_exceeded"


class NotFound(ShipyardError):
    """The experiment, run, model or file named does not exist."""

    code = "not_found"


class AlreadyExists(ShipyardError):
    """Something with that unique name or id exists already."""

    code = "already_exists"


class Conflict(ShipyardError):
    """The request clashes with the current state of the resource."""

    code = "conflict"


class Unauthenticated(ShipyardError):
    """No credentials, or credentials that are not valid."""

    code = "unauthenticated"


class PermissionDenied(ShipyardError):
    """The caller is known but not allowed to do this."""

    code = "permission_denied"
