"""Running the service: the one-command development stack, the embedded broker, demo data."""
