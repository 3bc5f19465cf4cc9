"""``python -m archive_repo`` runs the command line."""

from archive_repo.cli import main

main()
