"""REST handlers: thin; parse, call the domain, answer JSON."""
