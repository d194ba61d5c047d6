"""iapt-ds: validate NHS IAPT v2.0 submissions locally, the way SDCS Cloud does."""
