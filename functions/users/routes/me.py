"""The signed-in user's profile and password."""

from aws_lambda_powertools.event_handler.api_gateway import Router
from lectern.accounts import service
from lectern.accounts.models import User
from lectern.deps import default_deps
from lectern.http import BEARER, principal, request_meta

from functions.users.schemas import ChangePasswordRequest, ProfileUpdate, UserProfile

router = Router()


def profile_out(u: User) -> UserProfile:
    return UserProfile(
        uuid=u.user_id,
        email=u.email,
        full_name=u.full_name,
        professional_title=u.professional_title,
        organization_name=u.organization_name,
        timezone=u.timezone,
        email_verified=u.email_verified,
        created_at=u.created_at,
        updated_at=u.updated_at,
    )


@router.get("/users/me", summary="My profile", tags=["users"], security=BEARER)
def get_me() -> UserProfile:
    return profile_out(service.get_profile(principal(router).user_id))


@router.patch("/users/me", summary="Update my profile", tags=["users"], security=BEARER)
def patch_me(body: ProfileUpdate) -> UserProfile:
    me = principal(router)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return profile_out(
        service.update_profile(
            user_id=me.user_id, changes=changes, meta=request_meta(router), deps=default_deps()
        )
    )


@router.post(
    "/users/me/change-password",
    summary="Change my password (signs out my other sessions)",
    tags=["users"],
    status_code=204,
    security=BEARER,
)
def change_password(body: ChangePasswordRequest) -> None:
    me = principal(router)
    service.change_password(
        user_id=me.user_id,
        session_id=me.session_id,
        current_password=body.current_password,
        new_password=body.new_password,
        meta=request_meta(router),
        deps=default_deps(),
    )
