"""A small program written the way a client author would, against the package openapi-python-client
generates from the running service's /openapi.json (scripts/clients.sh). The generated client parses
every documented response into its model and raises on one that does not match, so a document that
drifts from the service fails CI here."""

import os
import sys

from theater_client import AuthenticatedClient, Client
from theater_client.api.accounts import change_password, login, refresh
from theater_client.api.movies import get_movie, list_movies
from theater_client.models import (
    Credentials,
    ErrorBody,
    PasswordChange,
    RefreshTokenRequest,
    ValidationErrorBody,
)


def check(condition, what):
    if not condition:
        sys.exit(f"check failed: {what}")


base_url = os.environ["THEATER_URL"]
email = os.environ["THEATER_EMAIL"]
password = os.environ["THEATER_PASSWORD"]
client = Client(base_url=base_url, raise_on_unexpected_status=True)

# A page of the catalog, then one movie's detail.
page = list_movies.sync_detailed(client=client, page=1, per_page=5)
check(page.status_code == 200, f"list answered {page.status_code}")
movies = page.parsed.movies
check(len(movies) > 0, "the catalog is empty")
print(f"list: {len(movies)} of {page.parsed.total_items} movies, next {page.parsed.next_page}")

first = movies[0]
detail = get_movie.sync_detailed(first.id, client=client)
check(detail.status_code == 200, f"detail answered {detail.status_code}")
movie = detail.parsed
check(movie.id == first.id and movie.name == first.name, "detail is the listed movie")
print(f"detail: {movie.name} ({movie.country.code}; {', '.join(g.name for g in movie.genres)})")

missing = get_movie.sync_detailed(2_000_000_000, client=client)
check(missing.status_code == 404, f"missing movie answered {missing.status_code}")
check(isinstance(missing.parsed, ErrorBody), f"404 parsed as {type(missing.parsed).__name__}")
check(missing.parsed.detail == "Movie with the given ID was not found.", "404 text")

# Sign in; refresh; use the token.
signed_in = login.sync_detailed(client=client, body=Credentials(email=email, password=password))
check(signed_in.status_code == 201, f"login answered {signed_in.status_code}")
tokens = signed_in.parsed
check(tokens.token_type == "bearer", "token_type")
fresh = refresh.sync_detailed(client=client, body=RefreshTokenRequest(refresh_token=tokens.refresh_token))
check(fresh.status_code == 200 and fresh.parsed.access_token, "refresh")
print("login: signed in")

# 401 without a token, parsed as ErrorBody.
change = PasswordChange(old_password=password, new_password=password)
denied = change_password.sync_detailed(client=client, body=change)
check(denied.status_code == 401, f"no token answered {denied.status_code}")
check(isinstance(denied.parsed, ErrorBody), f"401 parsed as {type(denied.parsed).__name__}")
check(denied.parsed.detail == "Authorization header is missing", "401 text")
print(f"401: {denied.parsed.detail}")

authorized = AuthenticatedClient(base_url=base_url, token=tokens.access_token, raise_on_unexpected_status=True)
allowed = change_password.sync_detailed(client=authorized, body=change)
check(allowed.status_code != 401, "the token was refused")

# 422, parsed as ValidationErrorBody with typed field errors.
invalid = login.sync_detailed(client=client, body=Credentials(email="not-an-e-mail", password="short"))
check(invalid.status_code == 422, f"invalid login answered {invalid.status_code}")
check(isinstance(invalid.parsed, ValidationErrorBody), f"422 parsed as {type(invalid.parsed).__name__}")
problems = [f"{'.'.join(str(part) for part in e.loc)}: {e.type_}: {e.msg}" for e in invalid.parsed.detail]
check(any(p.startswith("body.email") for p in problems), f"422 names the e-mail: {problems}")
check(any(p.startswith("body.password") for p in problems), f"422 names the password: {problems}")
print(f"422: {' | '.join(problems)}")
print("python client: ok")
