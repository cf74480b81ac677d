from django.urls import path

from claims.views import filing, me, payment, public, signin, status

app_name = "claims"

_P = "programs/<slug:slug>/"
_C = _P + "claims/<str:reference>/"

urlpatterns = [
    path("", public.home, name="home"),
    path("verify/", public.verify_notice, name="verify"),
    path("sign-out/", signin.signout, name="signout"),
    # A notice's personal link (claims/services/personal_links.py): keep this path.
    path("go/<str:token>/", signin.personal_link, name="personal_link"),
    path("me/", me.me, name="me"),
    path(_P, public.program_detail, name="program"),
    path(_P + "sign-in/", signin.signin, name="signin"),
    path(_P + "sign-in/code/", signin.signin_code, name="signin_code"),
    path(_P + "claim/", filing.start, name="start"),
    path(_P + "claim/<slug:type_code>/", filing.details, name="details"),
    path(_P + "claim/<slug:type_code>/review/<str:draft_key>/", filing.review, name="review"),
    path(_P + "claims/", status.my_claims, name="my_claims"),
    path(_C, status.status, name="status"),
    path(_C + "answer/", status.answer, name="answer"),
    path(_C + "appeal/", status.appeal, name="appeal"),
    path(_C + "feedback/", status.feedback, name="feedback"),
    # The PAYOUT_FAILED notice's fix_url (payouts/notices.py): keep this path.
    path(_C + "payment/", payment.payment, name="payment"),
    path(_C + "documents/<int:document_id>/", status.document, name="document"),
]
