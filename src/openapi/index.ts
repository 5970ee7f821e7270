import { swaggerUI } from "@hono/swagger-ui";
import { Hono } from "hono";
import { buildOpenApiDocument } from "./document";
import type { OpenApiDocument } from "./types";

/**
 * Version of swagger-ui-dist that the /docs page loads. The browser fetches
 * its script and style sheet from the jsDelivr CDN when the page is viewed,
 * so the page needs internet access. /openapi.json does not.
 */
export const SWAGGER_UI_VERSION = "5.35.0";

let cachedDocument: OpenApiDocument | undefined;

/** Builds the OpenAPI document on the first call in an isolate, and returns that copy on later calls. */
export function openApiDocument(): OpenApiDocument {
  cachedDocument ??= buildOpenApiDocument();
  return cachedDocument;
}

/**
 * GET /openapi.json and GET /docs, meant to be mounted at "/". The routes
 * are exact paths, with no parameter, wildcard or middleware, so mounting
 * them at the root catches no request meant for another route.
 */
export const openApiRoutes = new Hono()
  .get("/openapi.json", (c) => c.json(openApiDocument()))
  .get(
    "/docs",
    swaggerUI({
      // Relative, so the page finds the document under whatever prefix the routes are mounted at.
      url: "./openapi.json",
      version: SWAGGER_UI_VERSION,
      title: "Chup edge gateway API",
      tryItOutEnabled: true,
    }),
  );
