# podnet: one image for the bot, the worker and the simulator (`podnet bot|worker|sim`).
# Build stage: full dev dependencies to compile TypeScript.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` runs the build, and the sources are not copied yet.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY jobs ./jobs
COPY bench ./bench
RUN npm run build

# Runtime dependencies only. --ignore-scripts again: `prepare` would try to build without TypeScript.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY scenarios ./scenarios
# A fixed non-root uid so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
USER 10001
# 3000: Slack (Bolt HTTP receiver); 9464: health, readiness and metrics.
EXPOSE 3000 9464
ENTRYPOINT ["node", "bin/podnet.js"]
CMD ["bot"]
