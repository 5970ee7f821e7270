import type { z } from "zod";
import type { ProblemCase } from "./problems";
import type { HttpMethod } from "./types";

/** A success response of an operation. */
export interface SuccessResponse {
  description: string;
  /** Body schema, registered with component(). Absent for a response without a body. */
  body?: z.ZodType;
  /** Media type of the body, application/json unless set. */
  mediaType?: string;
}

/**
 * One route of the gateway, described for the OpenAPI document. Parameter
 * and body schemas are the zod schemas the route validates with, wherever
 * the route has one.
 */
export interface OperationSpec {
  method: HttpMethod;
  /** OpenAPI path template, e.g. /admin/v1/clinics/{clinicId}. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  /** Markdown. */
  description?: string;
  /** Bearer token the route requires, or "none" for the webhook, schema and status routes. */
  auth: "admin" | "his" | "none";
  pathParams?: z.ZodObject;
  query?: z.ZodObject;
  requestBody?: {
    /** Registered with component(). */
    schema: z.ZodType;
    example: unknown;
  };
  responses: Readonly<Record<number, SuccessResponse>>;
  /** Problems specific to this route. The builder adds those of its token check and internal-error. */
  problems: readonly ProblemCase[];
}
