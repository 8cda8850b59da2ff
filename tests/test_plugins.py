"""The plugin system: built-ins, third-party plugins, lookup by name, and isolation of broken plugins."""

from __future__ import annotations

import importlib.metadata
import inspect
import types
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import servicecore as sc
from servicecore import hookspecs
from servicecore.bootstrap import bootstrap, command_policy
from servicecore.documents import Document
from servicecore.plugins import BUILTIN_PLUGINS, DISABLE_ENV, PluginFailure, Plugins
from servicecore.ports.rendering import DocumentRenderer, RenderedDocument
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.memory import MemoryStorage
from servicecore_adapters.notifiers import LoggingNotifier, RecordingNotifier

hookimpl = hookspecs.hookimpl
CST = timezone(timedelta(hours=8))
AGENT = sc.Actor("E-001", "Li Na", ["agent"])
REVIEWER = sc.Actor("E-002", "Zhou Wei", ["reviewer"])
CUSTOMER = sc.Actor("C-100", "Wang Fang", ["customer"])


@pytest.fixture
def bare() -> Plugins:
    """A registry with nothing in it."""
    return Plugins(builtins=False, entry_points=False)


@pytest.fixture
def builtins_only() -> Plugins:
    return Plugins(entry_points=False)


# --- a third-party plugin, written the way an integrator would -----------------


class AcmeStorage(MemoryStorage):
    """A storage backend from a third-party package (memory underneath), recording its options."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        self.options = dict(options)


class AcmeNotifier(RecordingNotifier):
    """A third-party notifier."""


class AcmeRenderer:
    """A third-party renderer: plain text."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)

    def render(self, document: Document, *, locale: str = "en") -> RenderedDocument:
        return RenderedDocument("doc.txt", "text/plain", f"{type(document).__name__} in {locale}")


ACME_TEMPLATE = sc.ChecklistTemplate(
    "acme-cleaning", "Acme cleaning", [sc.StepTemplate("sweep", "Sweep"), sc.StepTemplate("mop", "Mop")]
)


class AcmePlugin:
    """Every hook, on a class instance."""

    def __init__(self) -> None:
        self.built: list[object] = []

    def _keep(self, factory: Callable[[Mapping[str, Any]], Any]) -> Callable[[Mapping[str, Any]], Any]:
        def build(options: Mapping[str, Any]) -> Any:
            built = factory(options)
            self.built.append(built)
            return built

        return build

    @hookimpl
    def servicecore_storage_backends(self) -> dict[str, Any]:
        return {"acme-db": self._keep(AcmeStorage)}

    @hookimpl
    def servicecore_notifiers(self) -> dict[str, Any]:
        return {"acme-sms": self._keep(lambda options: AcmeNotifier())}

    @hookimpl
    def servicecore_renderers(self) -> dict[str, Any]:
        return {"acme-text": self._keep(AcmeRenderer)}

    @hookimpl
    def servicecore_checklist_templates(self) -> list[sc.ChecklistTemplate]:
        return [ACME_TEMPLATE]


def _module_plugin(name: str, **hooks: Callable[[], Any]) -> types.ModuleType:
    """A module object carrying ``@hookimpl`` functions, like an installed plugin module."""
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def _raise(message: str) -> Callable[[], Any]:
    def hook() -> Any:
        raise RuntimeError(message)

    return hook


def _desk(plugins: Plugins, config: sc.ServiceDeskConfig) -> sc.ServiceDesk:
    return bootstrap(
        config, plugins=plugins, clock=ManualClock(datetime(2026, 3, 2, 9, tzinfo=CST)), ids=SequentialIds()
    )


# --- the built-ins --------------------------------------------------------------


def test_builtins_are_registered(builtins_only: Plugins) -> None:
    assert builtins_only.available("storage") == ("memory", "postgresql", "sqlite")
    assert builtins_only.available("notifier") == ("logging", "recording")
    assert builtins_only.available("renderer") == ("markdown",)
    assert builtins_only.checklist_templates() == {"pest-control": sc.PEST_CONTROL}
    for name in BUILTIN_PLUGINS:
        assert builtins_only.manager.get_plugin(name) is not None, name
    assert builtins_only.failures == ()


def test_builtins_build_working_backends(builtins_only: Plugins) -> None:
    assert isinstance(builtins_only.storage("memory"), MemoryStorage)
    assert isinstance(builtins_only.notifier("recording"), RecordingNotifier)
    assert isinstance(builtins_only.notifier("logging", {"level": "DEBUG"}), LoggingNotifier)
    assert isinstance(builtins_only.renderer("markdown"), DocumentRenderer)


def test_default_plugins_include_builtins() -> None:
    plugins = Plugins()
    assert "memory" in plugins.available("storage")
    assert "pest-control" in plugins.checklist_templates()


def test_bootstrap_defaults_use_builtins(
    builtins_only: Plugins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default storage is servicecore.sqlite3 in the working directory
    desk = _desk(builtins_only, sc.ServiceDeskConfig())
    assert desk.checklist_templates == {"pest-control": sc.PEST_CONTROL}
    request = desk.receive_request(
        actor=AGENT,
        customer=sc.Customer("C-1", "Wang Fang"),
        channel="phone",
        category="pest control",
        priority="normal",
        description="Ants",
    )
    assert desk.get_request(request.id) == request
    assert desk.dispatch_notifications() == sc.DispatchResult(delivered=1, failed=0)
    desk.close()
    assert (tmp_path / "servicecore.sqlite3").exists()


def test_backend_options_are_validated_by_the_factory(builtins_only: Plugins) -> None:
    with pytest.raises(sc.ConfigurationError, match="path"):
        builtins_only.storage("memory", {"path": "x.db"})
    with pytest.raises(sc.ConfigurationError, match="level"):
        _desk(builtins_only, sc.ServiceDeskConfig(notifier_options={"level": "LOUD"}))


def test_unknown_backend_kind_is_a_configuration_error(builtins_only: Plugins) -> None:
    with pytest.raises(sc.ConfigurationError, match="kinds"):
        builtins_only.available("database")


# --- third-party plugins ----------------------------------------------------------


def test_a_class_plugin_provides_every_kind_of_backend(builtins_only: Plugins) -> None:
    plugin = AcmePlugin()
    assert builtins_only.register(plugin, name="acme") == "acme"
    assert builtins_only.available("storage") == ("acme-db", "memory", "postgresql", "sqlite")
    assert builtins_only.available("notifier") == ("acme-sms", "logging", "recording")
    assert builtins_only.available("renderer") == ("acme-text", "markdown")
    assert builtins_only.checklist_templates() == {"pest-control": sc.PEST_CONTROL, "acme-cleaning": ACME_TEMPLATE}


def test_bootstrap_uses_a_third_party_plugin(builtins_only: Plugins) -> None:
    plugin = AcmePlugin()
    builtins_only.register(plugin, name="acme")
    config = sc.ServiceDeskConfig(
        storage="acme-db",
        storage_options={"dsn": "acme://db"},
        notifier="acme-sms",
        renderer="acme-text",
        renderer_options={"font": "mono"},
    )
    desk = _desk(builtins_only, config)
    notifier, renderer, storage = plugin.built  # the storage opens last
    assert isinstance(storage, AcmeStorage)
    assert storage.options == {"dsn": "acme://db"}, "the configured options reach the factory"
    assert isinstance(renderer, AcmeRenderer)
    assert renderer.options == {"font": "mono"}
    assert isinstance(notifier, AcmeNotifier)

    # the desk really runs on them: storage, notifier, template from the plugin
    request = desk.receive_request(
        actor=AGENT,
        customer=sc.Customer("C-100", "Wang Fang"),
        channel="phone",
        category="cleaning",
        priority="normal",
        description="Office",
    )
    with storage.unit_of_work() as uow:
        assert uow.requests.get(request.id) == request
    desk.dispatch_notifications()
    assert [n.recipients for n in notifier.sent] == [("customer:C-100",)]
    assert "acme-cleaning" in desk.checklist_templates

    desk.acknowledge_request(request.id, actor=AGENT, message="Hello")
    desk.assess_request(request.id, actor=AGENT, feasible=True, analysis="ok")
    start = datetime(2026, 3, 5, 9, tzinfo=CST)
    terms = sc.AgreementTerms(
        items=[sc.ServiceItem("Cleaning", "in-house", "1", "visit", sc.Money("100", "CNY"))],
        schedule=sc.Schedule(start, start + timedelta(hours=2), "Office"),
        criteria=[sc.AcceptanceCriterion("clean", "Floor clean", "site_check")],
    )
    agreement = desk.draft_agreement(request.id, actor=AGENT, title="Cleaning", terms=terms)
    desk.submit_agreement_for_review(agreement.id, actor=AGENT)
    desk.approve_agreement(agreement.id, actor=REVIEWER)
    desk.offer_agreement(agreement.id, actor=AGENT)
    desk.confirm_agreement(agreement.id, actor=CUSTOMER)
    desk.activate_agreement(agreement.id, actor=AGENT)
    order = desk.create_work_order(
        agreement.id, actor=AGENT, title="Clean", assignees=["E-010"], template="acme-cleaning"
    )
    assert [step.key for step in order.steps] == ["sweep", "mop"]
    assert order.template_key == "acme-cleaning"
    assert desk.render_work_order_sheet(order.id, locale="fr").content == "WorkOrderSheet in fr"


def test_a_module_plugin_provides_a_notifier(bare: Plugins) -> None:
    sent: list[Any] = []

    class ListNotifier:
        def send(self, notification: Any) -> None:
            sent.append(notification)

    module = _module_plugin("acme_notify", servicecore_notifiers=lambda: {"list": lambda options: ListNotifier()})
    assert bare.register(module) == "acme_notify", "a module registers under its __name__"
    assert bare.available("notifier") == ("list",)
    assert isinstance(bare.notifier("list"), ListNotifier)


def test_unknown_backend_name_lists_what_is_available(builtins_only: Plugins) -> None:
    builtins_only.register(AcmePlugin(), name="acme")
    with pytest.raises(sc.BackendNotFoundError) as caught:
        _desk(builtins_only, sc.ServiceDeskConfig(storage="postgres"))
    error = caught.value
    assert isinstance(error, sc.PluginError)
    assert (error.kind, error.name) == ("storage", "postgres")
    assert error.available == ("acme-db", "memory", "postgresql", "sqlite")
    assert "postgres" in str(error)
    assert "acme-db, memory, postgresql, sqlite" in str(error)


def test_unknown_name_with_nothing_registered(bare: Plugins) -> None:
    with pytest.raises(sc.BackendNotFoundError, match="none"):
        bare.renderer("markdown")


def test_a_factory_that_fails_is_a_plugin_error_naming_backend_and_plugin(bare: Plugins) -> None:
    def broken(options: Mapping[str, Any]) -> Any:
        raise OSError("disk on fire")

    bare.register(_module_plugin("acme_broken", servicecore_storage_backends=lambda: {"fire": broken}))
    with pytest.raises(sc.PluginError) as caught:
        bare.storage("fire")
    assert "fire" in str(caught.value)
    assert "acme_broken" in str(caught.value)
    assert "disk on fire" in str(caught.value)
    assert isinstance(caught.value.__cause__, OSError)


# --- isolation -----------------------------------------------------------------------


def test_a_raising_hook_is_isolated_and_recorded(builtins_only: Plugins) -> None:
    builtins_only.register(_module_plugin("acme_broken", servicecore_notifiers=_raise("kaput")))
    builtins_only.register(AcmePlugin(), name="acme")
    assert builtins_only.available("notifier") == ("acme-sms", "logging", "recording")
    assert isinstance(builtins_only.notifier("recording"), RecordingNotifier)
    failure = builtins_only.failures[0]
    assert failure == PluginFailure(plugin="acme_broken", stage="servicecore_notifiers", error="RuntimeError: kaput")
    # the desk still builds from the healthy plugins
    _desk(builtins_only, sc.ServiceDeskConfig(notifier="acme-sms"))


def test_a_raising_template_hook_is_isolated(builtins_only: Plugins) -> None:
    builtins_only.register(_module_plugin("acme_broken", servicecore_checklist_templates=_raise("no templates")))
    assert builtins_only.checklist_templates() == {"pest-control": sc.PEST_CONTROL}
    assert [f.plugin for f in builtins_only.failures] == ["acme_broken"]


def test_a_hook_returning_the_wrong_type_is_isolated(builtins_only: Plugins) -> None:
    builtins_only.register(_module_plugin("acme_list", servicecore_storage_backends=lambda: ["memory"]))
    builtins_only.register(
        _module_plugin("acme_junk_template", servicecore_checklist_templates=lambda: ["not a template"])
    )
    assert builtins_only.available("storage") == ("memory", "postgresql", "sqlite")
    assert builtins_only.checklist_templates() == {"pest-control": sc.PEST_CONTROL}
    assert {(f.plugin, f.error.split(":")[0]) for f in builtins_only.failures} == {
        ("acme_list", "TypeError"),
        ("acme_junk_template", "TypeError"),
    }


def test_a_repeated_failure_is_recorded_once(bare: Plugins) -> None:
    """A hook that fails on every lookup is one failure, not a growing list."""
    bare.register(_module_plugin("acme_broken", servicecore_notifiers=_raise("kaput")))
    bare.available("notifier")
    bare.available("notifier")
    assert [(f.plugin, f.stage) for f in bare.failures] == [("acme_broken", "servicecore_notifiers")]


def test_a_misspelled_hook_is_a_plugin_error(builtins_only: Plugins) -> None:
    typo = _module_plugin("acme_typo", servicecore_notifier=lambda: {"sms": lambda options: None})
    with pytest.raises(sc.PluginError, match="servicecore_notifier"):
        builtins_only.register(typo)
    assert builtins_only.manager.get_plugin("acme_typo") is None, "the bad plugin is not left half-registered"
    assert builtins_only.available("notifier") == ("logging", "recording"), "the others keep working"
    fixed = _module_plugin("acme_typo", servicecore_notifiers=lambda: {"sms": lambda options: RecordingNotifier()})
    assert builtins_only.register(fixed) == "acme_typo", "the name is free again"


def test_a_taken_name_is_a_plugin_error(builtins_only: Plugins) -> None:
    with pytest.raises(sc.PluginError, match=r"servicecore_adapters\.memory"):
        builtins_only.register(AcmePlugin(), name="servicecore_adapters.memory")
    assert builtins_only.available("storage") == ("memory", "postgresql", "sqlite")


def test_registering_a_plugin_twice_keeps_the_first_registration(builtins_only: Plugins) -> None:
    memory_module = builtins_only.manager.get_plugin("servicecore_adapters.memory")
    with pytest.raises(sc.PluginError):
        builtins_only.register(memory_module, name="memory-again")
    assert builtins_only.available("storage") == ("memory", "postgresql", "sqlite")


# --- disabling ---------------------------------------------------------------------


def test_disable_env_blocks_a_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, " servicecore_adapters.notifiers , something-else ")
    plugins = Plugins(entry_points=False)
    assert plugins.available("notifier") == ()
    assert plugins.available("storage") == ("memory", "postgresql", "sqlite"), "only the named plugin is blocked"
    with pytest.raises(sc.BackendNotFoundError, match="logging"):
        _desk(plugins, sc.ServiceDeskConfig(storage="memory"))
    assert plugins.failures == (), "a disabled plugin is not a failure"


def test_disable_env_blocks_the_builtin_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, "servicecore.checklists")
    assert Plugins(entry_points=False).checklist_templates() == {}


def test_disable_env_blocks_a_runtime_registration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, "acme")
    plugins = Plugins(entry_points=False)
    assert plugins.register(AcmePlugin(), name="acme") == "acme"
    assert plugins.available("storage") == ("memory", "postgresql", "sqlite")


def test_disable_env_is_read_when_the_registry_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    plugins = Plugins(entry_points=False)
    monkeypatch.setenv(DISABLE_ENV, "servicecore_adapters.memory")
    assert plugins.available("storage") == ("memory", "postgresql", "sqlite")


# --- duplicates ------------------------------------------------------------------------


def test_two_plugins_providing_one_backend_name_is_a_configuration_error(builtins_only: Plugins) -> None:
    builtins_only.register(
        _module_plugin("acme_memory", servicecore_storage_backends=lambda: {"memory": lambda o: MemoryStorage()})
    )
    with pytest.raises(sc.ConfigurationError) as caught:
        _desk(builtins_only, sc.ServiceDeskConfig(storage="memory"))
    message = str(caught.value)
    assert "'memory'" in message
    assert "acme_memory" in message
    assert "servicecore_adapters.memory" in message
    assert builtins_only.available("storage") == ("memory", "postgresql", "sqlite"), "available() lists the name once"


def test_two_plugins_contributing_one_template_key_is_a_configuration_error(builtins_only: Plugins) -> None:
    clash = sc.ChecklistTemplate("pest-control", "Another", [sc.StepTemplate("x", "X")])
    builtins_only.register(_module_plugin("acme_pests", servicecore_checklist_templates=lambda: [clash]))
    with pytest.raises(sc.ConfigurationError, match="pest-control") as caught:
        builtins_only.checklist_templates()
    assert "acme_pests" in str(caught.value)
    assert "servicecore.checklists" in str(caught.value)


# --- entry points ----------------------------------------------------------------------


class FakeEntryPoint:
    """Just enough of importlib.metadata.EntryPoint: a name and load()."""

    def __init__(self, name: str, load: Callable[[], object]) -> None:
        self.name = name
        self.load = load


def _fake_entry_points(monkeypatch: pytest.MonkeyPatch, *entry_points: Any) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def entry_points_(**kwargs: Any) -> list[Any]:
        calls.append(kwargs)
        return list(entry_points) if kwargs.get("group") == hookspecs.PROJECT_NAME else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points_)
    return calls


def test_entry_points_are_loaded_from_the_servicecore_group(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_entry_points(monkeypatch, FakeEntryPoint("acme", AcmePlugin))
    plugins = Plugins()
    assert calls == [{"group": "servicecore"}]
    assert "acme-db" in plugins.available("storage")
    assert plugins.manager.get_plugin("acme") is not None


def test_an_entry_point_that_fails_to_load_is_isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode() -> object:
        raise ImportError("No module named 'acme_missing_dependency'")

    real_but_missing = importlib.metadata.EntryPoint(
        name="ghost", value="acme_not_installed_anywhere:plugin", group="servicecore"
    )
    _fake_entry_points(
        monkeypatch, FakeEntryPoint("broken", explode), real_but_missing, FakeEntryPoint("acme", AcmePlugin)
    )
    plugins = Plugins()
    assert [(f.plugin, f.stage) for f in plugins.failures] == [("broken", "load"), ("ghost", "load")]
    assert "acme_missing_dependency" in plugins.failures[0].error
    assert plugins.failures[1].error.startswith("ModuleNotFoundError")
    # every other plugin, built-in or installed, still works
    assert plugins.available("storage") == ("acme-db", "memory", "postgresql", "sqlite")
    assert plugins.available("notifier") == ("acme-sms", "logging", "recording")
    _desk(plugins, sc.ServiceDeskConfig(storage="acme-db"))


def test_an_entry_point_with_a_misspelled_hook_is_recorded_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    typo = _module_plugin("acme_typo", servicecore_renderer=lambda: {})
    _fake_entry_points(monkeypatch, FakeEntryPoint("typo", lambda: typo))
    plugins = Plugins()
    assert [(f.plugin, f.stage) for f in plugins.failures] == [("typo", "load")]
    assert "servicecore_renderer" in plugins.failures[0].error
    assert plugins.available("renderer") == ("markdown",)


def test_disable_env_blocks_an_entry_point_before_it_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []

    def load() -> object:
        loaded.append("acme")
        return AcmePlugin()

    _fake_entry_points(monkeypatch, FakeEntryPoint("acme", load))
    monkeypatch.setenv(DISABLE_ENV, "acme")
    plugins = Plugins()
    assert loaded == [], "a disabled entry point is never imported"
    assert plugins.available("storage") == ("memory", "postgresql", "sqlite")


def test_an_entry_point_re_exporting_a_builtin_does_not_remove_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import servicecore_adapters.memory

    _fake_entry_points(monkeypatch, FakeEntryPoint("memory", lambda: servicecore_adapters.memory))
    plugins = Plugins()
    assert [(f.plugin, f.stage) for f in plugins.failures] == [("memory", "load")]
    assert plugins.available("storage") == ("memory", "postgresql", "sqlite")


def test_entry_points_can_be_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_entry_points(monkeypatch, FakeEntryPoint("acme", AcmePlugin))
    Plugins(entry_points=False)
    assert calls == []


# --- the hook contract ---------------------------------------------------------------------


def _hookspecs() -> dict[str, Callable[..., Any]]:
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    return {
        name: function
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, marker)
    }


def test_every_hookspec_is_documented_and_listed() -> None:
    specs = _hookspecs()
    assert specs, "no hook specifications found"
    assert set(specs) == set(hookspecs.HOOK_NAMES), "HOOK_NAMES must list exactly the hookspecs"
    assert len(hookspecs.HOOK_NAMES) == len(set(hookspecs.HOOK_NAMES)), "HOOK_NAMES has duplicates"
    for name, function in specs.items():
        assert (function.__doc__ or "").strip(), f"hookspec {name} has no docstring"
        passed = HOOK_ARGUMENTS.get(name, set())
        taken = set(inspect.signature(function).parameters)
        assert taken == passed, f"hookspec {name} takes {sorted(taken)}; servicecore passes {sorted(passed)}"


HOOK_ARGUMENTS = {"servicecore_register_commands": {"cli"}}
"""The arguments servicecore passes to each hook that takes any."""


def test_every_hookspec_has_a_section_in_the_plugin_docs() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name in _hookspecs():
        assert f"### `{name}" in docs, f"docs/plugins.md has no section for hook {name}"


def test_every_listed_hook_is_known_to_the_manager(bare: Plugins) -> None:
    for name in hookspecs.HOOK_NAMES:
        assert getattr(bare.manager.hook, name).has_spec(), name


def test_a_template_hook_returning_a_single_template_is_isolated() -> None:
    plugins = Plugins(entry_points=False)

    class OneTemplate:
        @hookimpl
        def servicecore_checklist_templates(self) -> object:
            return sc.PEST_CONTROL  # not a list

    plugins.register(OneTemplate(), name="acme-one")
    assert sorted(plugins.checklist_templates()) == ["pest-control"]
    assert [(f.plugin, f.stage) for f in plugins.failures] == [("acme-one", "servicecore_checklist_templates")]


def test_backend_not_found_names_the_plugins_that_failed() -> None:
    plugins = Plugins(entry_points=False)

    class Postgres:
        @hookimpl
        def servicecore_storage_backends(self) -> object:
            raise ImportError("No module named 'psycopg'")

    plugins.register(Postgres(), name="acme-postgres")
    with pytest.raises(sc.BackendNotFoundError, match=r"acme-postgres.*psycopg") as caught:
        plugins.storage("postgres")
    assert caught.value.available == ("memory", "postgresql", "sqlite")


# --- calendars (servicecore_calendars) ---------------------------------------------------


def test_builtin_calendars_are_registered(builtins_only: Plugins) -> None:
    assert builtins_only.available("calendar") == ("24x7", "cn", "holidays", "weekly")
    assert builtins_only.calendar("24x7").is_working(datetime(2026, 2, 17, 3, tzinfo=CST))
    assert not builtins_only.calendar("cn", {"years": [2026]}).is_working(datetime(2026, 2, 17, 10, tzinfo=CST))


def test_a_third_party_calendar_is_built_with_its_options(builtins_only: Plugins) -> None:
    from servicecore.sla import BusinessCalendar

    def acme_office(options: Mapping[str, Any]) -> BusinessCalendar:
        return BusinessCalendar.weekdays(options.get("time_zone", "UTC"), ["08:00-16:00"], name="acme-office")

    builtins_only.register(_module_plugin("acme_calendars", servicecore_calendars=lambda: {"acme-office": acme_office}))
    assert "acme-office" in builtins_only.available("calendar")
    office = builtins_only.calendar("acme-office", {"time_zone": "Asia/Shanghai"})
    assert office.name == "acme-office"
    assert str(office.time_zone) == "Asia/Shanghai"


def test_an_unknown_calendar_is_backend_not_found(builtins_only: Plugins) -> None:
    with pytest.raises(sc.BackendNotFoundError) as caught:
        builtins_only.calendar("atlantis")
    assert (caught.value.kind, caught.value.name) == ("calendar", "atlantis")
    assert "cn" in caught.value.available


def test_a_raising_calendar_hook_is_isolated(builtins_only: Plugins) -> None:
    builtins_only.register(_module_plugin("acme_broken", servicecore_calendars=_raise("no calendars")))
    assert "cn" in builtins_only.available("calendar")
    assert [(f.plugin, f.stage) for f in builtins_only.failures] == [("acme_broken", "servicecore_calendars")]


def test_two_plugins_providing_one_calendar_name_is_a_configuration_error(builtins_only: Plugins) -> None:
    builtins_only.register(_module_plugin("acme_cn", servicecore_calendars=lambda: {"cn": lambda options: None}))
    with pytest.raises(sc.ConfigurationError, match=r"'cn'.*acme_cn"):
        builtins_only.calendar("cn")


def test_disabling_the_calendar_plugin_removes_its_calendars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, "servicecore_adapters.calendars")
    plugins = Plugins(entry_points=False)
    assert plugins.available("calendar") == ()
    assert "memory" in plugins.available("storage"), "only the named plugin is blocked"


# --- the command policy hook ---------------------------------------------------


class _PolicyPlugin:
    def __init__(self, overrides: Mapping[str, Any]) -> None:
        self.overrides = overrides

    @hookimpl
    def servicecore_command_policy(self) -> Mapping[str, Any]:
        return self.overrides


def test_without_policy_plugins_the_default_policy_applies(builtins_only: Plugins) -> None:
    assert command_policy(builtins_only) == sc.DEFAULT_POLICY


def test_a_plugin_overrides_who_may_run_a_command(builtins_only: Plugins) -> None:
    builtins_only.register(_PolicyPlugin({"terminate_agreement": ["administrator"]}), name="strict")
    policy = command_policy(builtins_only)
    admin = sc.Actor("A-1", "Admin", ["administrator"])
    supervisor = sc.Actor("S-1", "Sup", ["supervisor"])
    policy.check(admin, "terminate_agreement")
    with pytest.raises(sc.PermissionDeniedError, match="terminate_agreement"):
        policy.check(supervisor, "terminate_agreement")
    assert policy.roles_for("approve_agreement") == sc.DEFAULT_POLICY.roles_for("approve_agreement")


def test_a_policy_plugin_naming_an_unknown_command_is_a_configuration_error(builtins_only: Plugins) -> None:
    builtins_only.register(_PolicyPlugin({"launch_rockets": ["agent"]}), name="typo")
    with pytest.raises(sc.ConfigurationError, match=r"typo.*launch_rockets"):
        command_policy(builtins_only)


def test_two_plugins_overriding_one_command_is_a_configuration_error(builtins_only: Plugins) -> None:
    builtins_only.register(_PolicyPlugin({"close_request": ["agent"]}), name="one")
    builtins_only.register(_PolicyPlugin({"close_request": ["supervisor"]}), name="two")
    with pytest.raises(sc.ConfigurationError, match="close_request"):
        command_policy(builtins_only)


def test_bootstrap_applies_policy_plugins(builtins_only: Plugins) -> None:
    builtins_only.register(_PolicyPlugin({"receive_request": ["administrator"]}), name="intake")
    desk = _desk(builtins_only, sc.ServiceDeskConfig(storage="memory"))
    with pytest.raises(sc.PermissionDeniedError, match="receive_request"):
        desk.receive_request(
            actor=sc.Actor("E-1", "Li Na", ["agent"]),
            customer=sc.Customer("C-1", "Wang Fang"),
            channel="phone",
            category="pest control",
            priority="normal",
            description="ants",
        )
    assert desk.list_requests() == []
