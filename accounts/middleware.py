from django.urls import reverse

from accounts.trail import staff_actor


class StaffTrailMiddleware:
    """Names the signed-in staff member in the audit rows the staff-table triggers write
    (accounts/trail.py). The user is read at the moment of each write, so a sign-in names
    its user from the moment it is made.

    Only the staff site changes staff tables, so only its requests carry the trail's execute
    wrapper: the claimant pages and the API (redemptions on the hot path) run without it. A
    change made elsewhere is still recorded by the triggers, naming the database role."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._prefix: str | None = None

    def __call__(self, request):
        if self._prefix is None:
            self._prefix = reverse("admin:index")
        if not request.path_info.startswith(self._prefix):
            return self.get_response(request)

        def user_id() -> int | None:
            user = getattr(request, "user", None)
            return user.pk if user is not None and user.is_authenticated else None

        with staff_actor(user_id):
            return self.get_response(request)
