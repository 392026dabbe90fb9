// A small program written the way a client author would, against the types openapi-typescript
// generates from the running service's /openapi.json (scripts/clients.sh). It must type-check under
// `strict` and then succeed against the service: a document that drifts from the service, or types
// that make natural code fail to compile, fail CI.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type ErrorBody = components["schemas"]["ErrorBody"];
type ValidationErrorBody = components["schemas"]["ValidationErrorBody"];
type FieldError = components["schemas"]["FieldError"];

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`${name} is not set`);
  }
  return value;
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) {
    throw new Error(`check failed: ${what}`);
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  return typeof body === "object" && body !== null && typeof (body as { detail?: unknown }).detail === "string";
}

function isValidationError(body: unknown): body is ValidationErrorBody {
  return typeof body === "object" && body !== null && Array.isArray((body as { detail?: unknown }).detail);
}

const baseUrl = env("THEATER_URL");
const email = env("THEATER_EMAIL");
const password = env("THEATER_PASSWORD");
const client = createClient<paths>({ baseUrl });

// A page of the catalog, then one movie's detail.
const list = await client.GET("/api/v1/theater/movies/", {
  params: { query: { page: 1, per_page: 5 } },
});
check(list.response.status === 200 && list.data !== undefined, `list answered ${list.response.status}`);
const first = list.data.movies[0];
check(first !== undefined, "the catalog is empty");
const total: number = list.data.total_items;
const next: string | null | undefined = list.data.next_page;
check(total >= list.data.movies.length, "total_items");
console.log(`list: ${list.data.movies.length} of ${total} movies, next ${next ?? "none"}`);

const detail = await client.GET("/api/v1/theater/movies/{movie_id}/", {
  params: { path: { movie_id: first.id } },
});
check(detail.data !== undefined, `detail answered ${detail.response.status}`);
const genres: string[] = detail.data.genres.map((g) => g.name);
const country: string = detail.data.country.code;
check(detail.data.id === first.id && detail.data.name === first.name, "detail is the listed movie");
console.log(`detail: ${detail.data.name} (${country}; ${genres.join(", ")})`);

// A missing movie: 404 with the contract's text, typed as ErrorBody.
const missing = await client.GET("/api/v1/theater/movies/{movie_id}/", {
  params: { path: { movie_id: 2_000_000_000 } },
});
check(missing.response.status === 404, `missing movie answered ${missing.response.status}`);
// The error type is the union of the operation's error bodies (a 422 for a bad id has the other shape).
check(isErrorBody(missing.error), "404 body is an ErrorBody");
const notFound: ErrorBody = missing.error;
check(notFound.detail === "Movie with the given ID was not found.", "404 text");

// Sign in, and use the token on a protected endpoint.
const login = await client.POST("/api/v1/accounts/login/", { body: { email, password } });
check(login.response.status === 201 && login.data !== undefined, `login answered ${login.response.status}`);
const accessToken: string = login.data.access_token;
const refreshToken: string = login.data.refresh_token;
check(login.data.token_type === "bearer", "token_type");
const refreshed = await client.POST("/api/v1/accounts/refresh/", { body: { refresh_token: refreshToken } });
check(refreshed.data !== undefined && refreshed.data.access_token.length > 0, "refresh");
console.log("login: signed in");

// 401: the same protected call without a token.
const denied = await client.POST("/api/v1/accounts/password-change/", {
  body: { old_password: password, new_password: password },
});
check(denied.response.status === 401, `no token answered ${denied.response.status}`);
check(isErrorBody(denied.error), "401 body is an ErrorBody");
const unauthorized: ErrorBody = denied.error;
check(unauthorized.detail === "Authorization header is missing", "401 text");
console.log(`401: ${unauthorized.detail}`);

// With the token, the request gets past authentication (same password twice is the service's call).
const authorized = await client.POST("/api/v1/accounts/password-change/", {
  body: { old_password: password, new_password: password },
  headers: { Authorization: `Bearer ${accessToken}` },
});
check(authorized.response.status !== 401, "the token was refused");

// 422: a body breaking the rules, read through its type.
const invalid = await client.POST("/api/v1/accounts/login/", {
  body: { email: "not-an-e-mail", password: "short" },
});
check(invalid.response.status === 422, `invalid login answered ${invalid.response.status}`);
check(isValidationError(invalid.error), "422 body is a ValidationErrorBody");
const problems: FieldError[] = invalid.error.detail;
const fields = problems.map((p) => {
  const loc: (string | number)[] = p.loc;
  const msg: string = p.msg;
  const kind: string = p.type;
  return `${loc.join(".")}: ${kind}: ${msg}`;
});
check(fields.some((f) => f.startsWith("body.email")), `422 names the e-mail: ${fields.join(" | ")}`);
check(fields.some((f) => f.startsWith("body.password")), `422 names the password: ${fields.join(" | ")}`);
console.log(`422: ${fields.join(" | ")}`);
console.log("typescript client: ok");
