"""Developer sessions: `nox -s tests`, `nox -s typecheck`, `nox -s lint`, `nox -s docs`."""

import nox

nox.options.sessions = ["tests", "typecheck", "lint", "docs"]
nox.options.default_venv_backend = "venv"


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole test suite, docs included (the README's test command)."""
    session.install(".[test]")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src/."""
    session.install(".[dev]")
    session.run("mypy", "--strict", "src")


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", "src", "tests", "docs", "benchmarks", "noxfile.py", "conftest.py")
    session.run("ruff", "format", "--check", "src", "tests", "docs", "benchmarks", "noxfile.py", "conftest.py")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Only the executed documentation (tutorials and guides)."""
    session.install(".[test]")
    session.run("pytest", "docs", *session.posargs)
