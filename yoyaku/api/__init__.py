"""The REST API (/api/v1/): a third face on the same services and selectors, no rule of its own."""
