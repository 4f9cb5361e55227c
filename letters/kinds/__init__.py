"""One module per letter kind: what it needs from the case and plan, and its context."""
