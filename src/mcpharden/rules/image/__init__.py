"""Rules that only a built image can answer (ImageModel: files, packages, configuration)."""
