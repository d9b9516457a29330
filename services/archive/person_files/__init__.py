"""One person, one file (一人一档): every application, document and decision about a person filed as entries, with
the file's summary (identity, qualifications with their re-review history, benefits received) and who read the
person's data (`accesses`, from the accesses room).

Doors: HTTP GET /v1/persons/{id}/file; gRPC ArchiveService.GetPersonFile; events: every type in
domain/person_file.py FILED_EVENTS. Events out: archive.person.accessed for each read of a file (chassis/access.py)."""
