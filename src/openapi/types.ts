// The parts of the OpenAPI 3.1 object model this generator writes.

/** A JSON Schema 2020-12 object, the Schema Object of OpenAPI 3.1. */
export type SchemaObject = Record<string, unknown>;

export interface ReferenceObject {
  $ref: string;
}

export interface ParameterObject {
  name: string;
  in: "path" | "query";
  required: boolean;
  description?: string;
  schema: SchemaObject;
}

export interface MediaTypeObject {
  schema: SchemaObject | ReferenceObject;
  example?: unknown;
}

export interface HeaderObject {
  description: string;
  schema: SchemaObject;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, ReferenceObject>;
  content?: Record<string, MediaTypeObject>;
}

export type SecurityRequirementObject = Record<string, string[]>;

export interface OperationObject {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  parameters?: ParameterObject[];
  requestBody?: { required: boolean; content: Record<string, MediaTypeObject> };
  responses: Record<string, ResponseObject>;
  security?: SecurityRequirementObject[];
}

export type HttpMethod = "get" | "post" | "put" | "delete";

export type PathItemObject = Partial<Record<HttpMethod, OperationObject>>;

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } };
  tags: { name: string; description: string }[];
  paths: Record<string, PathItemObject>;
  components: {
    schemas: Record<string, SchemaObject>;
    securitySchemes: Record<string, { type: "http"; scheme: string; description: string }>;
    headers: Record<string, HeaderObject>;
  };
}
