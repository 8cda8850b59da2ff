"""servicecore: a typed domain library for running a customer-facing service end to end.

The names most applications need are importable from here; the full model
lives in :mod:`servicecore.domain`, the ports in :mod:`servicecore.ports`, the
pure service-level engine (calendars, policies, clocks) in :mod:`servicecore.sla`.
"""

from servicecore.application import (
    DEFAULT_POLICY,
    CommandPolicy,
    DefaultNotificationPolicy,
    Dispatcher,
    DispatchResult,
    NotificationPolicy,
    RetryPolicy,
    Role,
    ServiceDesk,
    ServiceDeskConfig,
    SlaAlert,
    SlaMove,
    SlaRecomputeResult,
    SlaScanResult,
    SlaService,
    default_policies,
)
from servicecore.domain import *  # noqa: F403  (the domain's __all__ is the public model)
from servicecore.domain import __all__ as _domain_all
from servicecore.plugins import Plugins
from servicecore.sla.policy import ServiceLevel

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_POLICY",
    "CommandPolicy",
    "DefaultNotificationPolicy",
    "DispatchResult",
    "Dispatcher",
    "NotificationPolicy",
    "Plugins",
    "RetryPolicy",
    "Role",
    "ServiceDesk",
    "ServiceDeskConfig",
    "ServiceLevel",
    "SlaAlert",
    "SlaMove",
    "SlaRecomputeResult",
    "SlaScanResult",
    "SlaService",
    "__version__",
    "default_policies",
    *_domain_all,
]
