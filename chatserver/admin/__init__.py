"""Admin commands: `python run.py <command> --help`; each one works while the server runs."""

from .parser import add_commands

__all__ = ["add_commands"]
