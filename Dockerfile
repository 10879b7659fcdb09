# voice-relay: one image for the relay (media, gateway or both) and the stage engines.
FROM node:20-bookworm-slim
# The real local engines (espeak-ng TTS, pocketsphinx STT).
RUN apt-get update && apt-get install -y --no-install-recommends espeak-ng pocketsphinx pocketsphinx-en-us \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY pipelines ./pipelines
COPY src ./src
ENV NODE_ENV=production
EXPOSE 8080 8081
ENTRYPOINT ["node", "--import", "tsx", "src/main.ts"]
