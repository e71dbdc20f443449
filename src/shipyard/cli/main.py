"""The ``shipyard`` command."""

from __future__ import annotations

import click

from shipyard import __version__
from shipyard.cli.artifacts import artifacts
from shipyard.cli.db import db
from shipyard.cli.experiments import experiments
from shipyard.cli.gc import gc_command
from shipyard.cli.models import models
from shipyard.cli.runs import runs
from shipyard.cli.server import server
from shipyard.cli.ui import ui


@click.group()
@click.version_option(__version__, prog_name="shipyard")
def cli() -> None:
    """Shipyard: experiment tracking, models and deployment on your own machines."""


cli.add_command(server)
cli.add_command(db)
cli.add_command(artifacts)
cli.add_command(gc_command)
cli.add_command(models)
cli.add_command(experiments)
cli.add_command(runs)
cli.add_command(ui)
