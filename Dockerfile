# syntax=docker/dockerfile:1

# ---- build: compile the release binary (dependencies cached in their own layer) ----
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Build the dependency graph first with placeholder sources, so editing Theater's own code
# does not rebuild every crate.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src target/release/deps/theater* target/release/deps/libtheater* target/release/theater*
COPY src ./src
COPY templates ./templates
COPY assets ./assets
COPY .env.example ./
RUN cargo build --release --locked && strip target/release/theater

# ---- tests: the test suite, for docker-compose-tests.yml ----
FROM build AS tests
RUN cargo install --locked cargo-nextest@0.9.143
COPY tests ./tests
COPY README.md ./
COPY .config ./.config
COPY scripts ./scripts
# Compile the test binaries while the image is built, so starting the container only runs them.
RUN cargo nextest run --locked --profile ci --no-run
CMD ["scripts/test.sh", "--locked", "--profile", "ci"]

# ---- runtime: a small Debian image with the binary, run as an unprivileged user ----
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 theater \
    && useradd --system --uid 10001 --gid theater --home-dir /app --shell /usr/sbin/nologin theater \
    && mkdir -p /app/data && chown -R theater:theater /app
COPY --from=build /src/target/release/theater /usr/local/bin/theater
WORKDIR /app
# Numeric, so orchestrators that enforce runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
ENV BIND_ADDRESS=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/app/data \
    RUST_LOG=info
VOLUME ["/app/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=5 \
    CMD ["theater", "healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "theater"]
CMD ["serve"]
