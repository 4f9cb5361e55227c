"""Second Look application layer: the service functions, CLI and batch runner."""
