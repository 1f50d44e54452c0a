"""Core: conformed dimensions and facts built from staging, as the model declares."""
