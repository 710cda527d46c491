"""OpenAPI helpers for the API modules: error bodies and a single-object schema.

Kept apart from core/api.py, which DRF imports while it is itself loading (the pagination
class); drf-spectacular's AutoSchema imports DRF's generic views, so it cannot live there.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class SingleObjectAutoSchema(AutoSchema):
    """For a resource without an id in its path (``/me/``) served by a viewset's ``list``:
    document one object, not a paginated array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class NamedChoiceField(serializers.ChoiceField):
    """A choice field documented as the enum component `enum_name`. Several models have a
    "status" or "state" with different choices; named by field, they would collide."""

    def __init__(self, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(**kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={
                "type": "string",
                "enum": list(field.choices),
                "description": "\n".join(f"* `{k}` - {v}" for k, v in field.choices.items()),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


# --- schema components for error bodies -----------------------------------------------------
class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A translated message.")


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name, translated.")
    before = serializers.CharField(help_text="Its value in the version you sent.")
    after = serializers.CharField(help_text="Its value now.")


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why nothing was saved (translated).")
    code = serializers.CharField(help_text='Always "stale".')
    current_version = serializers.IntegerField(help_text="Send this version when retrying.")
    current = serializers.JSONField(help_text="The record as it is now, as GET returns it.")
    changed_by = serializers.CharField(help_text="Who saved last (empty when unknown).")
    changed_at = serializers.DateTimeField(
        allow_null=True, help_text="When they saved (null when unknown)."
    )
    changes = FieldChangeSerializer(
        many=True, help_text="What changed since the version you sent: before → after."
    )


FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": (
        'Messages per field, e.g. {"decision_maker.mobile": ["…"], "custom_fields.level": ["…"]}; '
        '"non_field_errors" for errors about the whole input.'
    ),
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

BAD_REQUEST = OpenApiResponse(FIELD_ERRORS_SCHEMA, description="Invalid input; nothing was saved.")
FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="Not authenticated, or the record is visible but not editable."
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such record, or it is outside your data scope."
)
CONFLICT = OpenApiResponse(
    ConflictSerializer,
    description="Someone saved the record after you read it (stale version); nothing was saved.",
)

# The path id of a detail route, and the error answers of read and write endpoints.
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
READ_ERRORS = {403: FORBIDDEN, 404: NOT_FOUND}
WRITE_ERRORS = {400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND}


# --- answers every operation can give, documented once ----------------------------------------
_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_FIELD_ERRORS_BODY = {"application/json": {"schema": FIELD_ERRORS_SCHEMA}}
_PAGING = {"page", "page_size"}


def document_common_answers(result, generator, request, public):
    """drf-spectacular post-processing hook: the answers that come from the shared plumbing
    rather than from a view (authentication, throttling, the size limit, pagination and
    filters) are added to every operation they apply to, so clients and schemathesis see the
    API as it really answers."""
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            query = {p["name"] for p in parameters if p.get("in") == "query"}

            def add(code: str, description: str, content=_ERROR_BODY, to=responses) -> None:
                to.setdefault(code, {"content": content, "description": description})

            if any(p.get("in") == "path" for p in parameters):
                add("404", "No such record, or it is outside your data scope.")
            if "page" in query:
                add("404", "No such page: it is past the last one.")
            if query - _PAGING:
                add("400", "A filter or query value is invalid.", _FIELD_ERRORS_BODY)
            if "requestBody" in operation:
                add("413", "The body is over the size limit (KEHU_MAX_REQUEST_BYTES).")
            if {} not in operation.get("security", [{}]):
                add("401", "Not signed in: send a valid token (Authorization: Token …).")
            add("429", "Too many requests for this token or address (KEHU_API_RATE); retry later.")
    return result
