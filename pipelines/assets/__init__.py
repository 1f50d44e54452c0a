"""Asset definitions, built from the declared model."""
