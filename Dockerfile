# Weft in one image: the editor (built with Node), compiled into the weft binary (built with Rust).
FROM node:20-bookworm-slim AS ui
WORKDIR /src/web-ui
COPY web-ui/package.json web-ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web-ui/ ./
RUN npm run build

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
COPY --from=ui /src/web-ui/dist web-ui/dist
RUN cargo build --release --locked -p weft --features embed-ui

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/weft weft \
    && mkdir -p /var/lib/weft && chown weft /var/lib/weft
COPY --from=build /src/target/release/weft /usr/local/bin/weft
ENV WEFT_DATA_DIR=/var/lib/weft \
    WEFT_BIND=0.0.0.0:8080
USER weft
EXPOSE 8080
ENTRYPOINT ["weft"]
CMD ["serve"]
