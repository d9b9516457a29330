"""Access records (查阅记录): who read a person's data — their file, a document, an account, an export that holds
them — as every service records it (`<service>.person.accessed`, chassis/access.py), filed here per person and shown
in the person's file (`accesses`), so the person sees who read it.

Doors: events `intake.person.accessed`, `settlement.person.accessed`, `archive.person.accessed` (handlers.py); read
through the person file room (person_files/service.py). Collection `person_accesses`, keyed by the access id
(redelivery files nothing twice)."""
