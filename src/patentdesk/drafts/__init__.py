"""Drafts (草稿): case packages being prepared in the web portal (业务采集, business collection).

A draft is an ordinary case package (see :mod:`patentdesk.packages`) kept on the server for
the user who made it, in the permission domain it was made in. The portal edits it with the
same library as the offline client, validates it with the same rules, and hands it out for
the desktop client to sign and submit (``patentdesk sign``, ``patentdesk submit``).

- :mod:`patentdesk.drafts.store` — per-domain storage in the data folder (no database table),
  the embedded default.
- :mod:`patentdesk.drafts.shared` — a cluster's drafts (``PATENTDESK_BLOBS=s3://…``):
  database rows naming object-store blobs, with each server's working copies.
- :mod:`patentdesk.drafts.formspec` — the web form generated from a business type's model,
  and the field assignments a submitted form means.
- :mod:`patentdesk.drafts.service` — the changes a page asks for, checked and made through
  the packages library under the owner's lock.
- :mod:`patentdesk.drafts.view` — the web actor as the library's ``Editor`` and validation
  context; what each section of the page shows.
- :mod:`patentdesk.drafts.pages` — the pages (``/drafts``), registered in ``app.ROUTERS``.

The packages library does not import this package: it stays free of server code.
"""
