"""mcpharden: audit and harden the container setup of MCP servers."""

__version__ = "0.2.0"
