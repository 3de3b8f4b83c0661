"""Rules that judge how containers are run (ContainerSpec, client server entries, build arguments)."""
