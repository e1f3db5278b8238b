"""The few errors services raise. Services never touch HTTP; :mod:`kmrepo.web` maps
these to status codes and Thai pages (or ``{"error", "status"}`` JSON), and the CLI
prints ``str(err)``, the plain English message.

Every error carries two messages: English (``str(err)``, for logs and the command
line) and Thai (``err.thai``, what a user of the site reads).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of kmrepo's errors: ``str(err)`` is English, ``err.thai`` is Thai;
    ``status`` is the HTTP status :mod:`kmrepo.web` answers with."""

    status = 400
    default_thai = "คำขอไม่ถูกต้อง"

    def __init__(self, english: str = "", thai: str = ""):
        super().__init__(english or self.__class__.__name__)
        self.thai = thai or self.default_thai


class NotFound(DomainError):
    """What was asked for does not exist, or the user may not know it exists (an
    internal entry for an anonymous visitor): 404."""

    status = 404
    default_thai = "ไม่พบหน้าที่ต้องการ"


class Refused(DomainError):
    """The acting user may not do this: 403."""

    status = 403
    default_thai = "คุณไม่มีสิทธิ์เข้าถึงหน้านี้"


class BadInput(DomainError):
    """The input cannot be used; the messages say why: 400."""

    status = 400


class Conflict(DomainError):
    """Someone else changed it since it was opened: 409. ``details`` says what (for the
    page that lets the user compare and decide); nothing of either change is lost."""

    status = 409
    default_thai = "มีผู้อื่นแก้ไขรายการนี้ไปแล้วหลังจากที่คุณเปิด"

    def __init__(self, english: str = "", thai: str = "", details: dict | None = None):
        super().__init__(english, thai)
        self.details = details or {}
