"""The review desk's passkey routes: register one, and sign a decision with it.

They answer the page's script in JSON. Each needs a person and the CSRF token
in the X-CSRF-Token header; deciding also needs a person the policy lets
decide. Nothing is recorded unless the signed decision opens with the
keyring exactly as `tollgate verify` will open it.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from components.signoff import records
from pipeline.ui import signing
from pipeline.ui.views import model_in_range
from pipeline.ui.people import Person

CSRF_HEADER = "X-CSRF-Token"
MAX_COMMENT = 2000


def credential_in(body: dict) -> dict:
    credential = body.get("credential")
    if not isinstance(credential, dict) or not isinstance(credential.get("response"), dict):
        raise HTTPException(400, "the request carries no passkey answer (credential)")
    return credential


def add_signing_routes(app: FastAPI, desk, person) -> None:
    async def checked_json(request: Request, who: Person = Depends(person)) -> dict:
        if not desk.sessions.csrf_holds(desk.holder(request, who), request.headers.get(CSRF_HEADER)):
            raise HTTPException(403, "the request's CSRF token is missing or wrong; reload the page and try again")
        return signing.parse_json(await request.body())

    def site(request: Request) -> tuple[str, str]:
        return signing.site(desk.config.ui.base_url, f"{request.url.scheme}://{request.url.netloc}")

    def deciding(who: Person) -> None:
        if not who.may_decide:
            raise HTTPException(403, f"{who.name} may look but not decide: signoff.approvers names "
                                     f"{', '.join(desk.config.signoff.approvers)}")

    @app.post("/passkey/options")
    def register_options(request: Request, body: dict = Depends(checked_json), who: Person = Depends(person)):
        rp_id, _ = site(request)
        text, challenge = signing.registration_options(who.name, rp_id, desk.views.passkeys_of(who.name))
        desk.ceremonies.begin(desk.holder(request, who), "register", challenge)
        return Response(text, media_type="application/json")

    @app.post("/passkey")
    def register(request: Request, body: dict = Depends(checked_json), who: Person = Depends(person)):
        challenge = desk.ceremonies.finish(desk.holder(request, who), "register")
        rp_id, origin = site(request)
        passkey = signing.registered(who.name, credential_in(body), challenge, rp_id, origin)
        # Behind a proxy, whoever reaches the desk can name anyone: a keyring is written only for an account.
        return JSONResponse({"line": passkey.line(), **desk.views.add_passkey(passkey, not desk.config.ui.user_header)})

    @app.post("/models/{model_id}/decision/options")
    def decision_options(request: Request, model_id: int, body: dict = Depends(checked_json),
                         who: Person = Depends(person)):
        deciding(who)
        verdict, comment = body.get("decision"), body.get("comment") or ""
        if not isinstance(verdict, str) or verdict not in records.PAST_TENSE:
            raise HTTPException(400, "decide approve or reject")
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
            raise HTTPException(400, f"the comment must be text of at most {MAX_COMMENT} characters")
        if verdict == records.REJECT and not comment.strip():
            raise HTTPException(400, "a rejection needs a comment saying why")
        statement, passkey = desk.views.passkey_statement(model_in_range(model_id), who.name, verdict, comment)
        desk.ceremonies.begin(desk.holder(request, who), "decide", (model_id, statement, passkey))
        return Response(signing.decision_options(statement, passkey), media_type="application/json")

    @app.post("/models/{model_id}/decision")
    def decide(request: Request, model_id: int, body: dict = Depends(checked_json), who: Person = Depends(person)):
        deciding(who)
        asked, statement, passkey = desk.ceremonies.finish(desk.holder(request, who), "decide")
        if asked != model_id:
            raise HTTPException(400, f"the passkey was asked to sign for model {asked}, not {model_id}")
        _, origin = site(request)
        envelope = signing.signed_decision(statement, passkey, credential_in(body), origin, desk.views.keyring())
        decision = desk.views.record(model_id, statement, envelope)
        return JSONResponse({"to": f"/models/{model_id}", "decision": decision.decision,
                             "approver": decision.approver})
