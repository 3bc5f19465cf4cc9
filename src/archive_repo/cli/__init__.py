"""The ``archive-repo`` command line: thin commands that parse, call a service and render."""

from __future__ import annotations

import sys

import click

from archive_repo import __version__
from archive_repo.cli.access import access
from archive_repo.cli.aip import aip
from archive_repo.cli.catalog import catalog
from archive_repo.cli.common import guarded
from archive_repo.cli.db import db
from archive_repo.cli.doctor import doctor
from archive_repo.cli.fixity import fixity
from archive_repo.cli.ingest import ingest
from archive_repo.cli.init import init
from archive_repo.cli.portal import portal
from archive_repo.cli.serve import serve
from archive_repo.cli.signatures import verify_signatures
from archive_repo.cli.sip import sip
from archive_repo.cli.storage import storage
from archive_repo.cli.validate import validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archive-repo")
def cli() -> None:
    """archive-repo: kho lưu trữ số theo TT05/2025/TT-BNV (OAIS) — digital preservation repository."""


cli.add_command(init)
cli.add_command(ingest)
cli.add_command(validate)
cli.add_command(sip)
cli.add_command(db)
cli.add_command(doctor)
cli.add_command(aip)
cli.add_command(catalog)
cli.add_command(verify_signatures)
cli.add_command(fixity)
cli.add_command(storage)
cli.add_command(access)
cli.add_command(portal)
cli.add_command(serve)


def main() -> None:
    sys.exit(guarded(cli))
