"""The public surface: every public name documented, typed package markers shipped, one error root."""

from __future__ import annotations

import doctest
import importlib
import importlib.resources
import inspect
import pkgutil
from types import ModuleType
from typing import Protocol

import pytest

import servicecore
import servicecore_adapters
from servicecore import hookspecs
from servicecore.domain import errors


def _modules(package: ModuleType) -> list[ModuleType]:
    found = [package]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        found.append(importlib.import_module(info.name))
    return found


MODULES = _modules(servicecore) + _modules(servicecore_adapters)


def _public_objects():
    for module in MODULES:
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj


PUBLIC = sorted(_public_objects(), key=lambda item: item[0])


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_module_has_a_docstring(module):
    assert (module.__doc__ or "").strip(), f"{module.__name__} has no docstring"


@pytest.mark.parametrize(("name", "obj"), PUBLIC, ids=[name for name, _ in PUBLIC])
def test_every_public_class_and_function_has_a_docstring(name, obj):
    assert (obj.__doc__ or "").strip(), f"{name} has no docstring"
    if inspect.isclass(obj):
        for attr, member in vars(obj).items():
            if attr.startswith("_") or not (inspect.isfunction(member) or isinstance(member, property | classmethod)):
                continue
            function = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
            assert (function.__doc__ or "").strip(), f"{name}.{attr} has no docstring"


@pytest.mark.parametrize("package", ["servicecore", "servicecore_adapters"])
def test_packages_ship_py_typed(package):
    assert importlib.resources.files(package).joinpath("py.typed").is_file()


def test_every_error_derives_from_servicecore_error():
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.ServiceCoreError)
        assert getattr(servicecore, name) is cls, f"{name} is not exported from servicecore"


def test_every_hook_is_documented_and_listed():
    specs = {name for name in dir(hookspecs) if name.startswith("servicecore_")}
    assert specs == set(hookspecs.HOOK_NAMES)
    for name in specs:
        assert (getattr(hookspecs, name).__doc__ or "").strip()


def test_top_level_exports_resolve():
    for name in servicecore.__all__:
        assert hasattr(servicecore, name), name


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) in {module.__name__} failed"


def test_the_storage_port_holds_protocols_only() -> None:
    """Kinds, index projections and query checks live in servicecore.storage_kinds; the port is its protocols."""
    from servicecore.ports import storage

    assert storage.__all__, "the storage port exports nothing"
    for name in storage.__all__:
        value = getattr(storage, name)
        assert Protocol in getattr(value, "__mro__", ()), f"{name} is not a Protocol"
