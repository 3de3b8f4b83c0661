"""Built images: read offline from archives and layouts, or pulled from a registry as a stream."""
