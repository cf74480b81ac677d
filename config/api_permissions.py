"""The staff side of the REST API: a staff session (the admin's) that passed the second factor,
holding the permission the view names in `staff_permission`. Shared by every app's staff
endpoints, so each checks staff the same way."""

from __future__ import annotations

from rest_framework import permissions
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView


class IsVerifiedStaff(permissions.BasePermission):
    """A staff session with a verified second factor and the view's `staff_permission`."""

    code = "forbidden"  # the problem code of a refusal

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        staff = bool(user and user.is_authenticated and user.is_staff)
        # is_verified() is put on request.user by django-otp's OTPMiddleware (untyped).
        if not (staff and user.is_verified()):  # type: ignore[union-attr]
            raise NotAuthenticated("Sign in to the admin with your second factor first.")
        return user.has_perm(view.staff_permission)  # type: ignore[attr-defined]
