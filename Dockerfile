# One image for every Cypernex service; docker-compose.yml picks the entry point per service.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node bin/build.cjs && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    CYPERNEX_ENV=production \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/schema/supergraph.graphql ./schema/supergraph.graphql
# SQL migrations are read from their parts' folders at run time.
COPY --from=build --chown=node:node /app/auth/migrations ./auth/migrations
COPY --from=build --chown=node:node /app/subgraphs ./subgraphs
COPY --from=build --chown=node:node /app/gateway ./gateway
USER node
EXPOSE 4000
CMD ["node", "--enable-source-maps", "dist/gateway/main.js"]
