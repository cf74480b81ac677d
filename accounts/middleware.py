from accounts.trail import staff_actor


class StaffTrailMiddleware:
    """Names the signed-in staff member in the audit rows the staff-table triggers write
    (accounts/trail.py). The user is read at the moment of each write, so a sign-in names
    its user from the moment it is made."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        def user_id() -> int | None:
            user = getattr(request, "user", None)
            return user.pk if user is not None and user.is_authenticated else None

        with staff_actor(user_id):
            return self.get_response(request)
