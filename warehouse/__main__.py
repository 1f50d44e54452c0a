"""`python -m warehouse` is the `crmwh` command."""

from warehouse.cli.main import main

main()
