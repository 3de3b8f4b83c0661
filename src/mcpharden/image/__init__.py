"""Built images → ImageModels, offline or pulled from a registry as a stream.

Inputs: an OCI image layout directory, an `oci-archive` tarball, and `docker save` tarballs
in both layouts (legacy `manifest.json` with `<id>/layer.tar`, and Docker 25+'s OCI-based
one). Every image or platform inside is read, or only the one `platform` names.

Layers are read as streams, in order, applying whiteouts and opaque whiteouts to an index
of the final file system; nothing is extracted to disk and no layer is held in memory.
Entries with absolute paths or `..` are normalized or skipped, links are recorded but never
followed, device files are never opened, and decompression is bounded so that a gzip or
zstd bomb fails fast with a clear error.

- read: the entry points (`read_images`, `read_registry_images`, `is_image_reference`) and the
  ImageModel built from what the others find;
- layout: where the images are: docker save, oci-archive, OCI layout, image indexes, and a
  registry's blobs read the same way (manifests, configs, layer blobs);
- streams: a layer's bytes, decompressed (gzip, zstd, bzip2, xz) within bounded budgets;
- tarstream: the tar headers of a layer; filesystem: its entries, whiteouts and the final
  file tree they build;
- inventory: packages of the final file system; registry: the OCI distribution client;
  cache: audits of pulled images, per digest, in the user's cache.
"""

from __future__ import annotations

from mcpharden.errors import UsageError


class ImageError(UsageError, ValueError):
    """The input is not an image we can read: missing, corrupt, truncated, or a bomb."""
