from django.utils.translation import gettext_lazy as _

from compensation.models import AffectedPerson


class Person(AffectedPerson):
    """A person on an affected list as the support desk sees them (a proxy: no table of its
    own). It carries the desk's permissions; the admin's search and person page hang off it."""

    class Meta:
        proxy = True
        default_permissions = ()
        permissions = [
            ("search_people", "Can find people and open their page"),
            ("resend_notice", "Can send a person's notice again"),
        ]
        verbose_name = _("person")
        verbose_name_plural = _("people")
