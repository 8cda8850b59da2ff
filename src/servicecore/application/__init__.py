"""The application layer: the ServiceDesk facade, its configuration, permissions, SLA service and dispatcher."""

from servicecore.application.config import ServiceDeskConfig
from servicecore.application.dispatcher import Dispatcher, DispatchResult, RetryPolicy
from servicecore.application.notifications import DefaultNotificationPolicy, NotificationPolicy
from servicecore.application.permissions import DEFAULT_POLICY, CommandPolicy, Role
from servicecore.application.service_desk import ServiceDesk
from servicecore.application.sla import (
    SlaAlert,
    SlaMove,
    SlaRecomputeResult,
    SlaScanResult,
    SlaService,
    default_policies,
)

__all__ = [
    "DEFAULT_POLICY",
    "CommandPolicy",
    "DefaultNotificationPolicy",
    "DispatchResult",
    "Dispatcher",
    "NotificationPolicy",
    "RetryPolicy",
    "Role",
    "ServiceDesk",
    "ServiceDeskConfig",
    "SlaAlert",
    "SlaMove",
    "SlaRecomputeResult",
    "SlaScanResult",
    "SlaService",
    "default_policies",
]
