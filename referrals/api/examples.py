"""The documented example of a referral: complete and valid, so a partner who copies it succeeds.

A test posts REFERRAL_REQUEST exactly as the schema shows it and expects 201.
The NHS number is from the 999 test range, never issued to anyone.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample

# The id the documented examples use (the schemathesis run gives a referral this id).
EXAMPLE_REFERRAL_ID = "5f0c6b8e-2f4a-4d7e-9a51-3c2b1e0d9f47"

REFERRAL_REQUEST = {
    "person": {
        "given_name": "Glenys",
        "family_name": "Pritchard",
        "preferred_name": "Glen",
        "date_of_birth": "1948-03-02",
        "nhs_number": "999 000 0018",
        "gender": "female",
        "ethnic_group": "A",
        "address": "3 Heol y Bryn, Treorchy",
        "postcode": "CF42 6AA",
        "phone": "07700 900123",
        "email": "",
        "contact_method": "phone",
        "may_leave_message": True,
        "preferred_language": "cy",
        "communication_needs": "Hard of hearing: speak clearly, or text first.",
    },
    "reasons": ["loneliness", "bereavement"],
    "reason_other": "",
    "what_matters": "Since her husband died she rarely goes out. She used to sing in a choir.",
    "urgency": "routine",
    "risk_flag": False,
    "risk_details": "",
    "consent_to_referral": True,
    "consent_to_share": True,
    "gp_feedback": "everything",
    "referrer": {
        "name": "Dr Ffion Hughes",
        "role": "GP",
        "phone": "029 2000 0000",
        "email": "ffion.hughes@example.org",
    },
}

REFERRAL_REQUEST_EXAMPLE = OpenApiExample(
    "A GP refers Glenys",
    summary=_("A complete referral"),
    value=REFERRAL_REQUEST,
    request_only=True,
)

REFERRAL_ID_EXAMPLE = OpenApiExample(
    "Glenys", summary=_("Glenys's referral"), value=EXAMPLE_REFERRAL_ID
)

REFERRAL_CREATED_EXAMPLE = OpenApiExample(
    "Referral received",
    summary=_("The referral as recorded"),
    value={
        "id": EXAMPLE_REFERRAL_ID,
        "reference": "SP-7K3QD9M",
        "status": "received",
        "urgency": "routine",
        "reasons": ["loneliness", "bereavement"],
        "scheme": "Teg Valley Community Connectors",
        "received_at": "2026-11-26T10:15:00Z",
        "accepted_at": None,
        "rejected_at": None,
        "allocated_at": None,
        "first_contact_at": None,
        "closed_at": None,
        "cancelled_at": None,
        "updated_at": "2026-11-26T10:15:00Z",
    },
    response_only=True,
    status_codes=["201"],
)
