"""The composition root: a desk from code, from servicecore.toml and from SERVICECORE_* variables."""

from __future__ import annotations

import ast
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import servicecore as sc
from servicecore.bootstrap import bootstrap, find_config_file, load_config
from servicecore.hookspecs import hookimpl
from servicecore.plugins import Plugins
from servicecore_adapters.clocks import ManualClock
from servicecore_adapters.ids import SequentialIds
from servicecore_adapters.memory import MemoryStorage

SRC = Path(__file__).parent.parent / "src" / "servicecore"
AGENT = sc.Actor("E-001", "Li Na", ["agent"])
START = datetime(2025, 10, 9, 9, tzinfo=UTC)


def write(folder: Path, text: str, name: str = "servicecore.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests start in an empty folder with no SERVICECORE_* settings."""
    for name in ("SERVICECORE_CONFIG", "SERVICECORE_STORAGE", "SERVICECORE_CALENDAR", "SERVICECORE_STRICT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


# --- from code -----------------------------------------------------------------------------------


def test_a_desk_from_code_runs_commands() -> None:
    desk = bootstrap(sc.ServiceDeskConfig(storage="memory"), clock=ManualClock(START), ids=SequentialIds())
    request = desk.receive_request(
        actor=AGENT,
        customer=sc.Customer("C-100", "Wang Fang"),
        channel="phone",
        category="pest control",
        priority="normal",
        description="Ants in the kitchen",
    )
    assert desk.get_request(request.id).received_at == START
    desk.close()


def test_a_config_given_in_code_ignores_the_file_and_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write(tmp_path, 'storage = "carrier-pigeon"\n')
    monkeypatch.setenv("SERVICECORE_STORAGE", "carrier-pigeon")
    desk = bootstrap(sc.ServiceDeskConfig(storage="memory"))
    assert desk.list_requests() == []
    desk.close()


def test_without_a_config_bootstrap_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICECORE_STORAGE", "carrier-pigeon")
    with pytest.raises(sc.BackendNotFoundError, match="carrier-pigeon"):
        bootstrap()


def test_a_config_given_in_code_is_used_as_it_is() -> None:
    desk = bootstrap(sc.ServiceDeskConfig(storage="memory", strict=True))
    with pytest.raises(sc.ValidationError, match="strict"):
        desk.list_requests()
    desk.close()


# --- the file ------------------------------------------------------------------------------------

FULL = """
strict = true

[storage]
name = "sqlite"
options = { path = "desk.sqlite3", busy_timeout = 3 }

[notifier]
name = "logging"
options = { level = "DEBUG" }

[renderer]
name = "markdown"

[calendar]
name = "cn"
options = { years = "2025-2026" }

[sla]
scan_tolerance = "PT10M"

[sla.calendars]
hotline = "24x7"
field = { provider = "cn", years = "2025-2026" }
"""


def test_every_key_of_the_file_reaches_the_configuration(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL), environ={})
    assert config == sc.ServiceDeskConfig(
        storage="sqlite",
        storage_options={"path": "desk.sqlite3", "busy_timeout": 3},
        notifier="logging",
        notifier_options={"level": "DEBUG"},
        renderer="markdown",
        calendar="cn",
        calendar_options={"years": "2025-2026"},
        strict=True,
        sla_scan_tolerance=timedelta(minutes=10),
        sla_calendars={"hotline": "24x7", "field": {"provider": "cn", "years": "2025-2026"}},
    )


def test_a_desk_builds_from_the_file(tmp_path: Path) -> None:
    text = FULL.replace('name = "sqlite"', 'name = "memory"').replace(
        'options = { path = "desk.sqlite3", busy_timeout = 3 }', ""
    )
    desk = bootstrap(load_config(write(tmp_path, text), environ={}))
    assert desk.list_requests(actor=AGENT) == []  # strict: reads need an actor
    with pytest.raises(sc.ValidationError, match="strict"):
        desk.list_requests()
    desk.close()


def test_the_file_is_found_by_argument_then_variable_then_working_directory(tmp_path: Path) -> None:
    assert find_config_file(environ={}) is None
    local = write(tmp_path, 'storage = "memory"\n')
    assert find_config_file(environ={}) == Path("servicecore.toml")
    named = write(tmp_path, 'storage = "memory"\n', "elsewhere.toml")
    assert find_config_file(environ={"SERVICECORE_CONFIG": str(named)}) == named
    assert find_config_file(local, environ={"SERVICECORE_CONFIG": str(named)}) == local


@pytest.mark.parametrize(
    ("path", "environ", "message"),
    [
        ("missing.toml", {}, "configuration file 'missing.toml' does not exist"),
        (None, {"SERVICECORE_CONFIG": "gone.toml"}, "'gone.toml' ($SERVICECORE_CONFIG) does not exist"),
        (None, {"SERVICECORE_CONFIG": "."}, "'.' ($SERVICECORE_CONFIG) is a directory, not a file"),
    ],
)
def test_a_named_file_must_exist(path: str | None, environ: dict[str, str], message: str) -> None:
    with pytest.raises(sc.ConfigurationError) as caught:
        load_config(path, environ=environ)
    assert message in str(caught.value)
    assert "--config" not in str(caught.value)  # only the command line has a --config


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'strict = "\xff"\n', "bad.toml: not valid UTF-8"),
        (b'calendar = ["cn"]\n', "bad.toml: calendar: expected a calendar name or a table, got list"),
        (b'[sla]\nscan_tolerance = "-PT10M"\n', "bad.toml: sla.scan_tolerance: must not be negative"),
        (b"[sla.calendars]\nurgent = 3\n", "bad.toml: sla.calendars.urgent: must be a BusinessCalendar"),
    ],
)
def test_every_file_error_names_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "bad.toml").write_bytes(content)
    with pytest.raises(sc.ConfigurationError) as caught:
        load_config(tmp_path / "bad.toml", environ={})
    assert str(caught.value).startswith(str(tmp_path / message.partition(":")[0]) + ":"), caught.value
    assert message.partition(": ")[2] in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SERVICECORE_STRICT": "maybe"}, "environment: SERVICECORE_STRICT: expected true or false"),
        ({"SERVICECORE_SLA_SCAN_TOLERANCE": "-PT1M"}, "environment: SERVICECORE_SLA_SCAN_TOLERANCE: must not be"),
    ],
)
def test_every_environment_error_names_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(sc.ConfigurationError) as caught:
        load_config(environ=environ)
    assert str(caught.value).startswith(message), caught.value


@pytest.mark.parametrize(
    "overrides",
    [{"notifier": "sms"}, {"renderer": "pdf"}, {"storage_options": {"synchronous": "SOMETIMES"}}],
)
def test_a_refused_bootstrap_leaves_no_database_file(tmp_path: Path, overrides: dict[str, Any]) -> None:
    with pytest.raises(sc.ServiceCoreError):
        bootstrap(load_config(environ={}, overrides=overrides))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[storage]\nname = "sqlite"\noptions = "desk.sqlite3"\n', "storage.options: expected a mapping"),
        ('strict = "yes"\n', "strict: expected true or false, got 'yes'"),
        ("[storage]\nname = 3\n", "storage.name: expected a string, got 3"),
        ('[storag]\nname = "memory"\n', "(top level): extra fields found (storag)"),
        ('[storage]\nnmae = "memory"\n', "storage: extra fields found (nmae)"),
        ('[sla]\nscan_tolerance = "soon"\n', "sla.scan_tolerance: not an ISO 8601 duration"),
        ('[sla]\nscan_tolerance = "-PT5M"\n', "sla.scan_tolerance: must not be negative"),
        ("[sla.calendars]\nurgent = 3\n", "sla.calendars.urgent: must be"),
        ('storage = ""\n', "storage.name: must be a non-empty string"),
        ("strict = \n", "not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(sc.ConfigurationError) as caught:
        load_config(write(tmp_path, text), environ={})
    assert message in str(caught.value)


# --- precedence ----------------------------------------------------------------------------------


def test_environment_beats_the_file_and_arguments_beat_both(tmp_path: Path) -> None:
    text = '[calendar]\nname = "cn"\noptions = { years = "2025-2026" }\n[sla]\nscan_tolerance = "PT1M"\n'
    file = write(tmp_path, text, "desk.toml")  # not ./servicecore.toml, so the defaults are the defaults
    environ = {"SERVICECORE_CALENDAR": "weekly", "SERVICECORE_SLA_SCAN_TOLERANCE": "PT2M", "SERVICECORE_STRICT": "1"}
    assert load_config(file, environ={}).calendar == "cn"
    from_env = load_config(file, environ=environ)
    assert (from_env.calendar, dict(from_env.calendar_options)) == ("weekly", {})  # the cn options are dropped
    assert from_env.sla_scan_tolerance == timedelta(minutes=2)
    assert from_env.strict is True
    explicit = load_config(file, environ=environ, overrides={"calendar": "24x7", "strict": False})
    assert (explicit.calendar, explicit.strict, explicit.sla_scan_tolerance) == ("24x7", False, timedelta(minutes=2))
    assert load_config(environ={}) == sc.ServiceDeskConfig()


def test_options_for_the_same_backend_merge_key_by_key(tmp_path: Path) -> None:
    file = write(tmp_path, '[storage]\nname = "sqlite"\noptions = { path = "a.sqlite3", busy_timeout = 3 }\n')
    config = load_config(
        file,
        environ={"SERVICECORE_STORAGE_OPTIONS__BUSY_TIMEOUT": "9", "SERVICECORE_STORAGE_OPTIONS__MIGRATE": "false"},
    )
    assert dict(config.storage_options) == {"path": "a.sqlite3", "busy_timeout": 9, "migrate": False}


def test_environment_values_are_refused_naming_the_variable() -> None:
    with pytest.raises(sc.ConfigurationError, match="SERVICECORE_STRICT: expected true or false"):
        load_config(environ={"SERVICECORE_STRICT": "maybe"})
    with pytest.raises(sc.ConfigurationError, match="SERVICECORE_SLA_SCAN_TOLERANCE"):
        load_config(environ={"SERVICECORE_SLA_SCAN_TOLERANCE": "soon"})
    with pytest.raises(sc.ConfigurationError, match="unknown setting 'storag'"):
        load_config(environ={}, overrides={"storag": "memory"})


# --- what plugins build is checked against its port ----------------------------------------------


class Liar:
    """Factories that return something other than what their port asks for."""

    @hookimpl
    def servicecore_notifiers(self) -> Mapping[str, Any]:
        return {"text": lambda options: "I am a notifier"}

    @hookimpl
    def servicecore_storage_backends(self) -> Mapping[str, Any]:
        return {"dict": lambda options: {}}

    @hookimpl
    def servicecore_renderers(self) -> Mapping[str, Any]:
        return {"none": lambda options: object()}

    @hookimpl
    def servicecore_calendars(self) -> Mapping[str, Any]:
        return {"string": lambda options: "cn"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            sc.ServiceDeskConfig(storage="memory", notifier="text"),
            "notifier backend 'text' from plugin 'liar' returned a str, not a Notifier (missing send)",
        ),
        (sc.ServiceDeskConfig(storage="dict"), "storage backend 'dict' from plugin 'liar' returned a dict"),
        (sc.ServiceDeskConfig(storage="memory", renderer="none"), "returned a object, not a DocumentRenderer"),
        (sc.ServiceDeskConfig(storage="memory", calendar="string"), "returned a str, not a BusinessCalendar"),
    ],
)
def test_a_factory_returning_the_wrong_thing_fails_at_build(config: sc.ServiceDeskConfig, message: str) -> None:
    plugins = Plugins(entry_points=False)
    plugins.register(Liar(), name="liar")
    with pytest.raises(sc.PluginError) as caught:
        bootstrap(config, plugins=plugins)
    assert message in str(caught.value)


def test_a_storage_is_closed_when_the_rest_of_the_desk_is_refused() -> None:
    opened: list[MemoryStorage] = []
    closed: list[bool] = []

    class Tracked(MemoryStorage):
        def close(self) -> None:
            closed.append(True)
            super().close()

    class Plugin:
        @hookimpl
        def servicecore_storage_backends(self) -> Mapping[str, Any]:
            return {"tracked": lambda options: opened.append(Tracked()) or opened[-1]}

    plugins = Plugins(entry_points=False)
    plugins.register(Plugin(), name="tracked")
    plugins.register(Liar(), name="liar")
    with pytest.raises(sc.PluginError, match="Notifier"):
        bootstrap(sc.ServiceDeskConfig(storage="tracked", notifier="text"), plugins=plugins)
    assert (opened, closed) == ([], [])  # the other backends are checked before the storage opens

    class Refusing(sc.ServiceDesk):
        def __init__(self, **kwargs: Any) -> None:
            raise sc.ConfigurationError("refused by the desk")

    with pytest.raises(sc.ConfigurationError, match="refused by the desk"):
        bootstrap(sc.ServiceDeskConfig(storage="tracked"), plugins=plugins, desk_class=Refusing)
    assert closed == [True]


# --- layers --------------------------------------------------------------------------------------


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported when ``path`` is imported (not those under TYPE_CHECKING or inside functions)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_application_imports_neither_plugins_nor_adapters_and_plugins_not_the_application() -> None:
    for path in sorted((SRC / "application").glob("*.py")):
        imported = _top_level_imports(path)
        assert not {m for m in imported if m.startswith(("servicecore_adapters", "servicecore.plugins"))}, path.name
        assert "servicecore.bootstrap" not in imported, path.name
    plugins_imports = _top_level_imports(SRC / "plugins.py") | _top_level_imports(SRC / "hookspecs.py")
    assert not {m for m in plugins_imports if m.startswith("servicecore.application")}


NAMES = st.sampled_from(["24x7", "cn", "weekly", "holidays"])


@given(
    file=st.fixed_dictionaries({}, optional={"calendar": NAMES, "strict": st.booleans()}),
    env=st.fixed_dictionaries({}, optional={"calendar": NAMES, "strict": st.booleans()}),
    explicit=st.fixed_dictionaries({}, optional={"calendar": NAMES, "strict": st.booleans()}),
)
def test_each_setting_comes_from_the_highest_source_that_gives_it(
    file: dict[str, Any], env: dict[str, Any], explicit: dict[str, Any]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        lines = [f'calendar = "{file["calendar"]}"'] if "calendar" in file else []
        lines += [f"strict = {str(file['strict']).lower()}"] if "strict" in file else []
        path = write(Path(folder), "\n".join(lines) + "\n", "desk.toml")
        environ = {f"SERVICECORE_{key.upper()}": str(value).lower() for key, value in env.items()}
        config = load_config(path, environ=environ, overrides=explicit)
    defaults = sc.ServiceDeskConfig()
    for key in ("calendar", "strict"):
        expected = explicit.get(key, env.get(key, file.get(key, getattr(defaults, key))))
        assert getattr(config, key) == expected, key


def test_bootstrap_builds_a_subclass_of_the_facade() -> None:
    class BranchDesk(sc.ServiceDesk):
        """A host application's own facade."""

    desk = bootstrap(sc.ServiceDeskConfig(storage="memory"), desk_class=BranchDesk)
    assert type(desk) is BranchDesk
    desk.close()
