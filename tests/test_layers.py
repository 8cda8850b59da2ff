"""The layers of servicecore import each other in one direction only, and importing the package stays cheap.

The pure core is three packages: ``kernel`` (the error tree, the field rules),
``sla`` (business calendars, policies, clocks: uses the kernel only) and
``domain`` (the aggregates: uses the kernel and sla). None of them imports the
application, the ports, the plugins, an adapter or a third-party library other
than attrs, not even inside a function. The graph is read from the source with
``ast`` (benchmarks/import_graph.py, the command that prints it).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "import_graph.py"
_spec = importlib.util.spec_from_file_location("import_graph", _SCRIPT)
assert _spec is not None
assert _spec.loader is not None
graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(graph)

FILES = graph.module_files()

ALLOWED_IN_CORE = {
    "kernel": {"kernel"},
    "sla": {"kernel", "sla"},
    "domain": {"kernel", "sla", "domain"},
}
"""For each package of the pure core, the servicecore packages its modules may import."""
THIRD_PARTY_IN_CORE = {"attrs"}

CORE_MODULES = sorted(name for name in FILES if graph.package_of(name) in ALLOWED_IN_CORE)


def test_the_pure_core_is_found():
    layers = {graph.package_of(name) for name in CORE_MODULES}
    assert layers == set(ALLOWED_IN_CORE)
    assert "servicecore.kernel.errors" in CORE_MODULES
    assert "servicecore.sla.clocks" in CORE_MODULES


@pytest.mark.parametrize("module", CORE_MODULES)
def test_a_core_module_imports_only_the_standard_library_attrs_and_inner_layers(module):
    layer = graph.package_of(module)
    imported = graph.imported_modules(module, FILES[module], deferred=True, type_checking=True)
    refused = []
    for name in sorted(imported):
        top = name.split(".")[0]
        if top == "servicecore":
            if name != "servicecore" and graph.package_of(name) not in ALLOWED_IN_CORE[layer]:
                refused.append(name)
        elif top not in sys.stdlib_module_names and top not in THIRD_PARTY_IN_CORE:
            refused.append(name)
    assert refused == [], f"{module} ({layer}) may import only {sorted(ALLOWED_IN_CORE[layer])}, attrs and stdlib"


def test_no_cycle_between_packages_at_load_time():
    packages = graph.package_graph(graph.module_graph())
    assert graph.cycles(packages) == []


def test_no_cycle_between_packages_even_through_imports_inside_functions():
    """An import deferred into a function still couples two layers: the application and the plugins
    may not each reach into the other."""
    packages = graph.package_graph(graph.module_graph(deferred=True))
    assert graph.cycles(packages) == []


def test_the_application_does_not_import_adapters():
    """The application works through ports; concrete adapters are chosen where the desk is composed."""
    offenders = {
        name: sorted(
            i for i in graph.imported_modules(name, path, deferred=True) if i.startswith("servicecore_adapters")
        )
        for name, path in FILES.items()
        if graph.package_of(name) == "application"
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_import_graph_command_prints_the_layers_and_no_cycle(capsys):
    assert graph.main([]) == 0
    output = capsys.readouterr().out
    assert "  sla -> kernel\n" in output
    assert "  kernel -> (nothing)\n" in output
    assert "cycles between packages: none" in output


def test_a_cycle_is_found():
    assert graph.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert graph.cycles({"a": {"b"}, "b": set()}) == []


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


OUTER = ("servicecore.application", "servicecore.plugins", "pluggy", "sqlalchemy", "jinja2", "click")
"""What no import of the core loads: the application, the plugin machinery, the adapters' libraries."""


def test_importing_servicecore_loads_neither_the_application_nor_the_domain_nor_heavy_libraries():
    loaded = _loaded_after("import servicecore")
    assert sorted(name for name in loaded if name.startswith((*OUTER, "servicecore.domain"))) == []


def test_importing_the_domain_values_loads_neither_the_application_nor_pluggy():
    loaded = _loaded_after("import servicecore.domain.values")
    assert sorted(name for name in loaded if name.startswith(OUTER)) == []


def test_a_public_name_loads_on_first_use():
    loaded = _loaded_after("import servicecore; servicecore.ServiceDesk; servicecore.Money")
    assert "servicecore.application.service_desk" in loaded
    assert "servicecore.domain.values" in loaded


def test_the_lazy_top_level_names_cover_the_domain_model():
    import servicecore
    import servicecore.domain

    assert set(servicecore.domain.__all__) <= set(servicecore.__all__), "a domain name missing from servicecore"
    assert set(servicecore.__all__) <= set(dir(servicecore))
    assert servicecore.SlaService is importlib.import_module("servicecore.application").SlaService
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        _ = servicecore.Nothing
