"""The trust model as enforced: identity and roles come from the caller's Actor; a strict desk refuses anonymous reads.

Every command whose ``actor`` is optional (the reads, the SLA scan, notification
dispatch) is enumerated from the facade, so a read added later is covered here
without anyone remembering to list it.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import servicecore as sc
from servicecore.application.core import command_names
from servicecore.application.permissions import DEFAULT_POLICY, Role
from servicecore.bootstrap import bootstrap
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.markdown import MarkdownRenderer
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.sqlalchemy import SQLAlchemyStorage
from tests.application.support import AGENT, CUSTOMER, LI_QIANG, WANG_FANG, Desk

COMMANDS = command_names(sc.ServiceDesk)


def _actor_optional(command: str) -> bool:
    parameter = inspect.signature(getattr(sc.ServiceDesk, command)).parameters["actor"]
    return parameter.default is None


OPTIONAL_ACTOR = tuple(c for c in COMMANDS if _actor_optional(c))
"""Commands a non-strict desk runs without an actor: reads, the SLA scan, notification delivery."""


def test_every_read_is_among_the_commands_with_an_optional_actor() -> None:
    reads = {c for c in COMMANDS if c.startswith(("get_", "list_", "render_"))} | {"pending_notifications"}
    assert len(reads) > 20
    assert reads <= set(OPTIONAL_ACTOR)
    assert set(OPTIONAL_ACTOR) - reads == {"scan_sla", "recompute_sla", "dispatch_notifications"}


class World(Desk):
    """The support desk on the storage under test, strict or not, with one case stored."""

    def __init__(self, storage: Any, *, strict: bool) -> None:
        super().__init__()
        self.storage = storage
        self.desk = sc.ServiceDesk(
            storage=storage,
            notifier=self.notifier,
            renderer=MarkdownRenderer(),
            clock=self.clock,
            ids=SequentialIds(),
            templates={sc.PEST_CONTROL.key: sc.PEST_CONTROL},
            strict=strict,
        )
        self.case = self.request()


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    backend = MemoryStorage() if request.param == "memory" else SQLAlchemyStorage(tmp_path / "trust.db")
    yield backend
    backend.close()


def _call(desk: sc.ServiceDesk, command: str, case_id: str, **actor: sc.Actor) -> Any:
    """Call ``command`` with ``case_id`` for every required positional argument, and ``actor`` if given."""
    method = getattr(desk, command)
    args = [
        case_id
        for p in inspect.signature(method).parameters.values()
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.default is inspect.Parameter.empty
    ]
    return method(*args, **actor)


@pytest.mark.parametrize("command", OPTIONAL_ACTOR)
def test_a_strict_desk_refuses_every_read_without_an_actor_and_writes_nothing(storage: Any, command: str) -> None:
    world = World(storage, strict=True)
    assert world.desk.strict
    before = world.state()
    with pytest.raises(sc.ValidationError) as caught:
        _call(world.desk, command, world.case.id)
    assert caught.value.field == "actor"
    assert command in str(caught.value)
    assert "strict" in str(caught.value)
    assert world.state() == before
    assert world.notifier.sent == []


@pytest.mark.parametrize("command", OPTIONAL_ACTOR)
def test_a_strict_desk_runs_every_read_for_an_actor_its_roles_allow(storage: Any, command: str) -> None:
    """With an actor the strict check is passed; whatever fails afterwards is not about the missing actor."""
    world = World(storage, strict=True)
    role = sorted(DEFAULT_POLICY.roles_for(command) - {Role.CUSTOMER})[0]
    actor = sc.Actor(f"A-{role}", f"Only {role}", [role])
    outcome: sc.ServiceCoreError | None = None
    try:
        _call(world.desk, command, world.case.id, actor=actor)
    except sc.ServiceCoreError as error:  # e.g. a request id passed to get_violation is not found
        outcome = error
    assert not (isinstance(outcome, sc.ValidationError) and outcome.field == "actor"), outcome
    assert not isinstance(outcome, sc.PermissionDeniedError), outcome


def test_a_strict_desk_reads_what_the_actor_may_see(storage: Any) -> None:
    world = World(storage, strict=True)
    assert world.desk.get_request(world.case.id, actor=CUSTOMER) == world.case
    assert world.desk.list_requests(actor=AGENT) == [world.case]
    other = sc.Actor(LI_QIANG.id, LI_QIANG.name, ["customer"])
    with pytest.raises(sc.PermissionDeniedError):
        world.desk.get_request(world.case.id, actor=other)


def test_a_desk_that_is_not_strict_trusts_a_read_without_an_actor(storage: Any) -> None:
    """The default: without an actor the caller is trusted application code and sees every case."""
    world = World(storage, strict=False)
    assert not world.desk.strict
    assert world.desk.get_request(world.case.id).customer == WANG_FANG
    assert world.desk.list_requests() == [world.case]


def test_changes_need_an_actor_on_every_desk(storage: Any) -> None:
    world = World(storage, strict=False)
    before = world.state()
    with pytest.raises(sc.ValidationError, match="acknowledge_request needs the Actor who runs it"):
        world.desk.acknowledge_request(world.case.id, message="hello")  # type: ignore[call-arg]
    assert world.state() == before


def test_the_desk_believes_the_roles_it_is_given() -> None:
    """No registry is consulted: an Actor built with a role has that role. Authentication is the host's job."""
    world = World(MemoryStorage(), strict=True)
    forged = sc.Actor("X-1", "Anyone", ["supervisor"])
    assert world.desk.list_requests(actor=forged) == [world.case]


def test_strict_comes_from_the_config() -> None:
    desk = bootstrap(sc.ServiceDeskConfig(storage="memory", strict=True))
    assert desk.strict
    with pytest.raises(sc.ValidationError, match="list_requests needs the Actor"):
        desk.list_requests()
    assert not bootstrap(sc.ServiceDeskConfig(storage="memory")).strict


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_strict_is_a_real_bool(value: Any) -> None:
    with pytest.raises(sc.ValidationError) as caught:
        sc.ServiceDeskConfig(storage="memory", strict=value)
    assert caught.value.field == "strict"
    with pytest.raises(sc.ValidationError) as caught:
        World(MemoryStorage(), strict=value)
    assert caught.value.field == "strict"
