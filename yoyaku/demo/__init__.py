"""Demo data for local development and tests; production settings do not install this app."""
