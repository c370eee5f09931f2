"""Where runs are recorded: the ORM tables, their queries, the journal, the light sqlite3 store."""
