from django.urls import reverse
from django.utils import translation

from accounts.trail import staff_actor


class StaffTrailMiddleware:
    """Names the signed-in staff member in the audit rows the staff-table triggers write
    (accounts/trail.py). The user is read at the moment of each write, so a sign-in names
    its user from the moment it is made.

    Only the staff site (the admin, and the staff pages beside it under /staff/: the
    enrolment and security keys) changes staff tables, so only its requests carry the
    trail's execute wrapper: the claimant pages and the API (redemptions on the hot path) run
    without it. A change made elsewhere is still recorded by the triggers, naming the
    database role.

    It also makes the staff site speak the signed-in staff member's language (User.language),
    whatever the browser asks for; without a setting, Django's LocaleMiddleware has chosen
    (the language cookie, then Accept-Language). The response's Content-Language follows (the
    LocaleMiddleware sets it from the active language on the way out)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._prefixes: tuple[str, ...] | None = None

    def __call__(self, request):
        if self._prefixes is None:
            staff_pages = reverse("accounts:security_keys").removesuffix("security-keys/")
            self._prefixes = (reverse("admin:index"), staff_pages)
        if not request.path_info.startswith(self._prefixes):
            return self.get_response(request)

        _staff_language_activate(request)

        def user_id() -> int | None:
            user = getattr(request, "user", None)
            return user.pk if user is not None and user.is_authenticated else None

        with staff_actor(user_id):
            return self.get_response(request)


def _staff_language_activate(request) -> None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return
    language = getattr(user, "language", "")
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
