"""The KM corner area (not built yet): the organisation's and each unit's curated
corner of knowledge, revisions and review dates (docs/domain.md, "The KM corner"). It
will hold ``models.py``, ``policy.py``, ``service.py`` and ``views.py``, as every area
does."""
