"""Ports: the Protocols the core needs from the outside world.

Storage (repositories and a unit of work), notification, document rendering,
clock and id generation. Adapters in ``servicecore_adapters`` (or your own
plugins) implement them.
"""

from servicecore.ports.clock import Clock
from servicecore.ports.ids import IdGenerator
from servicecore.ports.notification import DeliveryStatus, Notification, Notifier, OutboxMessage
from servicecore.ports.rendering import DocumentRenderer, RenderedDocument
from servicecore.ports.storage import Outbox, Repository, StorageBackend, UnitOfWork

__all__ = [
    "Clock",
    "DeliveryStatus",
    "DocumentRenderer",
    "IdGenerator",
    "Notification",
    "Notifier",
    "Outbox",
    "OutboxMessage",
    "RenderedDocument",
    "Repository",
    "StorageBackend",
    "UnitOfWork",
]
