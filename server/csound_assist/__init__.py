"""csound-assist: a Csound coding assistant (language server, CLI and engine)."""

__version__ = "0.1.0"
