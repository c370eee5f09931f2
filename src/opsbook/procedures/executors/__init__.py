"""How a command reaches a machine: the Executor protocol and its implementations."""
