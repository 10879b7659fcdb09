# voice-relay: one image for the relay (media, gateway or both) and the stage engines.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY pipelines ./pipelines
COPY src ./src
ENV NODE_ENV=production
EXPOSE 8080 8081
ENTRYPOINT ["node", "--import", "tsx", "src/main.ts"]
