from tests.support.builders import verified_account


def test_signup_verify_login_me(api):
    acct = verified_account(api)
    r = api.get("/users/me/", token=acct.token)
    assert r.status == 200, r.json
    assert r.json["email"] == acct.email
