"""The ``shipyard`` command."""

import click

from shipyard import __version__


@click.group()
@click.version_option(__version__, prog_name="shipyard")
def cli() -> None:
    """Shipyard: experiment tracking, models and deployment on your own machines."""
