"""One error tree: user errors are safe to show and carry a code; anything else is internal."""

from __future__ import annotations


class WarehouseError(Exception):
    """Root of every error the warehouse raises on purpose."""

    code = "internal_error"


class UserError(WarehouseError):
    """An error caused by input or configuration, safe to show to whoever caused it."""

    code = "user_error"


class ContractError(UserError):
    """A declarative file (source contract, model, cube) is invalid; names file and key."""

    code = "invalid_contract"


class SchemaDriftError(UserError):
    """A source table no longer matches its declared contract."""

    code = "schema_drift"


class SourceUnavailableError(UserError):
    """A source database cannot be reached; the served snapshot stays as it was."""

    code = "source_unavailable"


class LoadError(UserError):
    """A load could not complete; nothing was published."""

    code = "load_failed"


class NoSnapshotError(UserError):
    """No snapshot has been published yet."""

    code = "no_snapshot"
