"""The handover (移交) of a program's archive: the persons' files a selection holds (whole, or the approved
applicants' of a period or one), zipped with a manifest and checksums, downloaded verified; and the import of a
verified archive into a tenant's empty archive, once.

Doors: HTTP POST/GET /v1/exports, GET /v1/exports/{id}, /v1/exports/{id}/download, POST/GET /v1/imports.
Events out: archive.handover.ready."""
