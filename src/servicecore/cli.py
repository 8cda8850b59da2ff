"""The ``servicecore`` command line."""

from __future__ import annotations

from pathlib import Path

import click

from servicecore.demo import run_demo
from servicecore_adapters.markdown.renderer import LOCALES


@click.group()
@click.version_option(package_name="servicecore")
def main() -> None:
    """servicecore: run a customer-facing service end to end."""


@main.command()
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("servicecore-demo-output"),
    show_default=True,
    help="Folder for the rendered documents.",
)
@click.option(
    "--locale",
    "locales",
    type=click.Choice(LOCALES),
    multiple=True,
    help="Document language; repeat for several. Default: all.",
)
def demo(output_dir: Path, locales: tuple[str, ...]) -> None:
    """Run a full request → agreement → work order → acceptance lifecycle."""
    run_demo(output_dir, locales=locales or LOCALES, echo=click.echo)
