"""servicecore: a typed domain library for running a customer-facing service end to end.

The names most applications need are importable from here; the full model
lives in :mod:`servicecore.domain`, the ports in :mod:`servicecore.ports`.
"""

from servicecore.application import (
    DefaultNotificationPolicy,
    DispatchResult,
    NotificationPolicy,
    ServiceDesk,
    ServiceDeskConfig,
)
from servicecore.domain import *  # noqa: F403  (the domain's __all__ is the public model)
from servicecore.domain import __all__ as _domain_all
from servicecore.plugins import Plugins

__version__ = "0.1.0"

__all__ = [
    "DefaultNotificationPolicy",
    "DispatchResult",
    "NotificationPolicy",
    "Plugins",
    "ServiceDesk",
    "ServiceDeskConfig",
    "__version__",
    *_domain_all,
]
