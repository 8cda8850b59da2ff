"""The one error hierarchy of servicecore, as seen from the domain model.

The classes live in :mod:`servicecore.kernel.errors` (the service-level engine raises them too);
this module names them for the domain and for callers that import them from here.
"""

from servicecore.kernel.errors import (
    BackendNotFoundError,
    BusinessRuleError,
    ConcurrencyError,
    ConfigurationError,
    DeserializationError,
    DuplicateIdError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    PluginError,
    RenderingError,
    SeparationOfDutiesError,
    ServiceCoreError,
    StorageError,
    UnitOfWorkEndedError,
    ValidationError,
)

__all__ = [
    "BackendNotFoundError",
    "BusinessRuleError",
    "ConcurrencyError",
    "ConfigurationError",
    "DeserializationError",
    "DuplicateIdError",
    "InvalidTransitionError",
    "NotFoundError",
    "PermissionDeniedError",
    "PluginError",
    "RenderingError",
    "SeparationOfDutiesError",
    "ServiceCoreError",
    "StorageError",
    "UnitOfWorkEndedError",
    "ValidationError",
]
