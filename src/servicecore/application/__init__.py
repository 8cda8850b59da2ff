"""The application layer: the ServiceDesk facade, its configuration and notification policy."""

from servicecore.application.config import ServiceDeskConfig
from servicecore.application.notifications import DefaultNotificationPolicy, NotificationPolicy
from servicecore.application.service_desk import DispatchResult, ServiceDesk

__all__ = ["DefaultNotificationPolicy", "DispatchResult", "NotificationPolicy", "ServiceDesk", "ServiceDeskConfig"]
