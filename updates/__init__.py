"""Signed, resumable, small updates of the counter program (issue 16, docs/UPDATES.md).

- ``updates.archive``: a bundle folder as a manifest (every file's hash), a full archive,
  and a per-file binary patch (bsdiff4) between two bundles; rebuilding a folder from
  either and checking it against the manifest.
- ``updates.repository`` and ``python -m updates``: the publishing side (TUF metadata,
  offline root/targets keys, short-lived online timestamp/snapshot keys).
- ``updates.download``: pieces over HTTP Range that resume after a cut.
- ``updates.client``: the PC's side: TUF-verified check and download, refusals as
  bilingual messages.
- ``updates.pointer`` and ``updates.launcher``: versioned folders, the pointer file written
  atomically, the switch at start with a ``--self-check`` and the rollback.

No Qt here and nothing of ``desktop``: the launcher runs before the program itself.
"""
