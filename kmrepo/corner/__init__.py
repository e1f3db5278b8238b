"""The KM corner area: the organisation's and each unit's curated corner of knowledge,
and a page per unit (docs/domain.md, "The KM corner"); ``models.py``, ``policy.py``,
``service.py`` and ``views.py``, as every area has."""
