"""The `crmwh` command line."""
