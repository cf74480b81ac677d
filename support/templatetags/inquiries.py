"""The person page's inquiries (one query), with "open an inquiry" for those who answer."""

from django import template

from support.inquiry_selectors import person_inquiries as person_inquiries_select
from support.services.inquiries import ANSWER_PERMISSION

register = template.Library()


@register.inclusion_tag("admin/support/_person_inquiries.html", takes_context=True)
def person_inquiries(context, person):
    user = context["request"].user
    return {
        "person": person,
        "inquiries": list(person_inquiries_select(person.pk)),
        "can_answer": user.has_perm(ANSWER_PERMISSION),
        "can_view": user.has_perm("support.view_inquiry"),
    }
