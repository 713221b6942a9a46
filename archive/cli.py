"""The ``nianbao`` command line. Each command is a thin wrapper over a module
of ``archive``, ``parsers`` or ``crawler``; the work lives there."""

from __future__ import annotations

from pathlib import Path

import click

# Every command that touches the archive takes the data dir the same way.
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="NIANBAO_DATA",
    default=Path("data"),
    show_default=True,
    help="Data dir holding nianbao.db, originals/ and logs/ (env NIANBAO_DATA).",
)


@click.group()
@click.version_option(package_name="nianbao")
def cli():
    """nianbao: find, archive and read government-information-disclosure annual reports."""
