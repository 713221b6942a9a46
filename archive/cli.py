"""The ``nianbao`` command line. Each command is a thin wrapper over a module
of ``archive``, ``parsers`` or ``crawler``; the work lives there."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="nianbao")
def cli():
    """nianbao: find, archive and read government-information-disclosure annual reports."""
