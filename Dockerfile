# voice-relay: one image for the relay (media, gateway or both) and the stage engines.
# Build stage: compile TypeScript to dist/, then keep only the runtime dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: node and the real local engines (espeak-ng TTS, pocketsphinx STT).
FROM node:24-bookworm-slim
# jemalloc: with glibc malloc, the off-heap (native) memory of a load peak stays in RSS
# long after the load is gone; jemalloc gives it back (`npm run bench -- --only rss`).
RUN apt-get update && apt-get install -y --no-install-recommends espeak-ng pocketsphinx pocketsphinx-en-us libjemalloc2 \
  && rm -rf /var/lib/apt/lists/* \
  && ln -s "$(ls /usr/lib/*-linux-gnu/libjemalloc.so.2)" /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY proto ./proto
COPY pipelines ./pipelines
# The image's own unprivileged user (uid 1000 in the node images).
USER node
# media, gateway, ops (media-only nodes: /metrics, /healthz, /readyz)
EXPOSE 8080 8081 8082
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["node", "dist/healthcheck.js"]
ENTRYPOINT ["node", "dist/main.js"]
