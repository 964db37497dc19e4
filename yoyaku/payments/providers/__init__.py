"""Payment providers: one module each, behind the interface of :mod:`.base`."""
