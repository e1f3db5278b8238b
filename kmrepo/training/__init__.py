"""The training area (not built yet): training records, post-training reports filed
within 15 days of return up the chain of supervisors, and the follow-up assessment
(docs/domain.md, "Post-training reports"). It will hold ``models.py``, ``policy.py``,
``service.py`` and ``views.py``, as every area does."""
