# Latchkey container image: build with the full toolchain, run with the compiled output only.
#   docker build -t latchkey .
#   docker run -p 8443:8443 -p 8444:8444 -v latchkey-data:/data -e LATCHKEY_MASTER_KEY=... latchkey
# Set LATCHKEY_ISSUER to the URL clients use (requests for any other host are refused), and point
# server.tls.cert_file/key_file at real certificates (LATCHKEY_CONFIG) outside development.

FROM node:24-bookworm-slim AS build
# better-sqlite3 and argon2 have native parts; these build them when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# The dependencies first, in their own layer. --ignore-scripts skips the project's `prepare` (the build,
# whose sources are not copied yet); npm rebuild then runs the dependencies' own install scripts (the
# native parts) and, unlike npm ci, not the project's prepare.
RUN npm ci --ignore-scripts && npm rebuild
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.js ./scripts/build.js
COPY src ./src
COPY migrations ./migrations
# tsc -> dist/src/... and dist/migrations/...; then drop the dev dependencies.
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production LATCHKEY_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
# src/ and tsconfig*.json stay out: without tsconfig.build.json bin/run-entry.js runs dist/ as it is, with
# no comparison against sources; only the static files (stylesheet, page scripts) are read from src/ at runtime.
COPY src/views/static ./src/views/static
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8443 8444
# No curl in slim images: node itself asks /healthz (exempt from the Host check) on the main listener.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('https').get({host:'127.0.0.1',port:process.env.LATCHKEY_PORT||8443,path:'/healthz',rejectUnauthorized:false},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
CMD ["node", "bin/latchkey-server.js"]
