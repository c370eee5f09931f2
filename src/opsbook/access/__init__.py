"""Access control: users, API tokens, browser sessions and roles."""
