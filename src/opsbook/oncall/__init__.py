"""On-call rotations: layers, overrides, who is on call now, handoffs, calendar feeds."""
