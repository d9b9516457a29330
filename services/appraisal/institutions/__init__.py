"""The one registry of designated institutions (定点协议管理) every program shares: care institutions for long-term
care, hospitals (with their level 一级/二级/三级), pharmacies and the agency (经办机构) for fund supervision (`kind`
care | hospital | pharmacy | agency; a program's `registry:` section names the kinds it keeps and whether a hospital's
level is required — km-supervision: hospital, pharmacy, agency, level required). An institution applies (申请受理) with
its documents; a reviewer records the document review (资料审核), the on-site acceptance (现场验收) and the expert
review (专家评审) in that order; all three passed, an agreement with its term (协议期限) designates it; it may be
suspended (暂停), resumed, terminated (解除), its agreement renewed; violation interviews (违规约谈) are held with
minutes whose checksum is kept; one file per institution (一机构一档) holds all of it. Migrated, already-designated
institutions come in through a fast import.

Doors: HTTP `/v1/institutions` (api.py), not program-gated: every served tenant keeps its own registry.
Events out: institution.changed (every change), institution.interviewed (outbox of `institutions`). Events in: none.
The state machine and its rules are pure (domain/agreement.py); the collections are store.py's."""
