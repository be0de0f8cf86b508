from pipeline.ui.people import Sessions


def test_a_session_names_its_person_until_it_ends_or_expires():
    now = [0.0]
    sessions = Sessions(lifetime=60, clock=lambda: now[0])
    token, visitor = sessions.start("alice"), sessions.start(None)
    assert sessions.who(token) == "alice" and sessions.known(visitor) and sessions.who(visitor) is None
    assert sessions.who("made-up") is None and sessions.who(None) is None
    sessions.end(token)
    assert sessions.who(token) is None
    later = sessions.start("bob")
    now[0] = 61
    assert sessions.who(later) is None and not sessions.known(later)


def test_a_csrf_token_holds_for_its_holder_only():
    sessions, other = Sessions(), Sessions()
    token = sessions.csrf("holder-1")
    assert sessions.csrf_holds("holder-1", token)
    assert not sessions.csrf_holds("holder-2", token)
    assert not sessions.csrf_holds("holder-1", "")
    assert not sessions.csrf_holds(None, token)
    assert not other.csrf_holds("holder-1", token)  # another server's secret
