"""schemathesis hooks for toex (SCHEMATHESIS_HOOKS=st_hooks, PYTHONPATH=tests/system).

GraphQL answers a refused argument with an `errors` entry, so schemathesis' own
`not_a_server_error` counts BAD_INPUT, NOT_FOUND or FORBIDDEN as failures. toex's
contract is narrower and stricter: never an HTTP 5xx, and every error that a resolver
raised carries an `extensions.code` other than INTERNAL (a fault).
"""
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# Uploads travel as multipart parts, not in the query; a generated value must be refused.
schemathesis.graphql.scalar("Upload", st.text(max_size=8).map(nodes.String))
schemathesis.graphql.scalar(
    "JSON", st.one_of(st.integers().map(nodes.Int), st.text(max_size=16).map(nodes.String))
)


@schemathesis.check
def no_server_fault(ctx, response, case):
    """No 5xx, no INTERNAL error, and no resolver error without a code."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
    try:
        body = response.json()
    except ValueError as e:
        raise AssertionError(f"the response is not JSON: {response.text[:300]}") from e
    for error in (body or {}).get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        # Errors without a path are the request's own (syntax, validation, coercion).
        if code == "INTERNAL" or (code is None and error.get("path")):
            raise AssertionError(f"server fault: {error}")
