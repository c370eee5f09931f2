"""Background work: a jobs queue in the database and the loop that runs it."""
