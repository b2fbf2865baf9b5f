"""The shared errors become one RFC 7807 answer, whichever API a partner calls.

A partner system asks for something it may not see (Refused): 404, the same
as for nothing there. A move it may see but not make: 409. Bad input: 400
naming each field. An app's own error says its own status.
"""

import json

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.exceptions import (
    ApplicationError,
    InvalidTransition,
    Refused,
    StaleVersion,
    ValidationError,
)
from core.problems import (
    PROBLEM_CONTENT_TYPE,
    InvalidParameter,
    NotFound,
    problem_exception_handler,
)
from directory.exceptions import NothingChanged, StaleChange
from referrals.exceptions import IdempotencyConflict, NoSchemeForArea

factory = APIRequestFactory()


def answer(exc, **view_attributes):
    class Raising(APIView):
        authentication_classes = []
        permission_classes = []

        def get(self, request):
            raise exc

    for name, value in view_attributes.items():
        setattr(Raising, name, value)
    response = Raising.as_view()(factory.get("/api/v1/referrals/abc/?x=1"))
    response.render()
    return response


def problem(response) -> dict:
    return json.loads(response.content)


def test_refused_answers_404_like_nothing_there():
    response = answer(Refused("This referral is not one you can change."))
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = problem(response)
    assert body == {
        "type": "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5",
        "title": "Not found",
        "status": 404,
        # Not the refusal's reason: that would say the referral exists.
        "detail": "There is nothing here, or nothing this client may see.",
        "instance": "/api/v1/referrals/abc/?x=1",
    }


def test_a_refusal_on_what_it_may_see_is_a_409_with_the_reason():
    response = answer(InvalidTransition("Your role cannot move a referral to Accepted."))
    assert (response.status_code, problem(response)["title"]) == (409, "Conflict")
    assert problem(response)["detail"] == "Your role cannot move a referral to Accepted."


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ApplicationError("No."), 400),
        (StaleVersion("Changed by someone else."), 409),
        (StaleChange("The listing changed."), 409),
        (NothingChanged("Nothing changed."), 400),
        (IdempotencyConflict("Key reused."), 409),
        (NoSchemeForArea("No scheme here."), 422),
        (Refused("Hidden."), 404),
    ],
)
def test_each_error_has_its_status(error, status):
    response = answer(error)
    assert response.status_code == status and problem(response)["status"] == status
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE


def test_a_validation_error_names_each_field():
    error = ValidationError("Fix these.", field_errors={"postcode": ["Enter a UK postcode."]})
    body = problem(answer(error, problem_field_name=staticmethod(lambda name: f"person.{name}")))
    assert body["status"] == 400 and body["title"] == "The request has errors"
    assert body["invalid_params"] == [{"name": "person.postcode", "reason": "Enter a UK postcode."}]
    assert body["detail"] == "person.postcode: Enter a UK postcode."


def test_a_query_api_titles_bad_input_its_own_way():
    response = answer(
        InvalidParameter("postcode", "“XYZ” is not a UK postcode."),
        problem_invalid_title="Invalid query parameter",
    )
    body = problem(response)
    assert body["title"] == "Invalid query parameter"
    assert body["invalid_params"] == [{"name": "postcode", "reason": "“XYZ” is not a UK postcode."}]


def test_a_not_found_names_the_parameter():
    body = problem(answer(NotFound("No service has the id abc.")))
    assert body["status"] == 404
    assert body["invalid_params"] == [{"name": "id", "reason": "No service has the id abc."}]


def test_a_bug_is_left_to_django():
    assert problem_exception_handler(KeyError("x"), {}) is None


def test_the_partner_api_uses_it():
    from django.conf import settings

    handler = settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]
    assert handler == "core.problems.problem_exception_handler"
