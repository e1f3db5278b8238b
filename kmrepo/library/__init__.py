"""The library area: knowledge items, entries and their lifecycle, tags, attachments,
loading files, Thai search and the access log (docs/domain.md, "What is stored")."""
