import { z } from "zod";
import type { ParameterObject, ReferenceObject, SchemaObject } from "./types";

/**
 * Metadata the OpenAPI generator reads from zod schemas: the component name
 * (`id`), a description, and a JSON Schema `format`. It is a registry of its
 * own, so registering a route's schema here changes nothing about how the
 * route validates.
 */
export const schemaMetadata = z.registry<{ id?: string; description?: string; format?: string }>();

/** Registers a schema as `#/components/schemas/<name>` and returns it. */
export function component<T extends z.ZodType>(name: string, schema: T, description?: string): T {
  if (schemaMetadata.has(schema)) {
    throw new Error(`OpenAPI: cannot name a schema "${name}" that already has metadata ${JSON.stringify(schemaMetadata.get(schema))}.`);
  }
  schemaMetadata.add(schema as z.ZodType, description === undefined ? { id: name } : { id: name, description });
  return schema;
}

/**
 * Attaches a description to a schema and returns it. A schema has one entry
 * in the registry, so describing a component or a shared schema again would
 * replace its name or description everywhere. That throws instead.
 */
export function described<T extends z.ZodType>(schema: T, description: string): T {
  if (schemaMetadata.has(schema)) {
    throw new Error(`OpenAPI: the schema already has metadata ${JSON.stringify(schemaMetadata.get(schema))}. Describe a new schema instead.`);
  }
  schemaMetadata.add(schema as z.ZodType, { description });
  return schema;
}

/** An RFC 3339 time in UTC, the form (Date.toISOString) in which the gateway writes every timestamp. */
export const isoTime = z.string().register(schemaMetadata, { format: "date-time" });

/** Returns a schema of an event id: "evt_" and 32 hex digits, derived from the clinic and the webhook signature. */
export function eventId(description = "Event id, `evt_` and 32 hex digits."): z.ZodString {
  return described(z.string().regex(/^evt_[0-9a-f]{32}$/), description);
}

/** The JSON Schema options shared by every conversion. Draft 2020-12 is the dialect of OpenAPI 3.1. */
const CONVERSION = {
  target: "draft-2020-12",
  // Request schemas are described as a client sends them: fields with a
  // default are optional. Response schemas have no defaults, so for them
  // "input" only means their objects stay open to fields added later.
  io: "input",
  metadata: schemaMetadata,
  unrepresentable: "throw",
  override: ({ jsonSchema }) => {
    // zod bounds every integer by the safe-integer range. Readers do not need
    // that bound, and it clutters the rendered page.
    if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) {
      delete jsonSchema.maximum;
    }
    if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) {
      delete jsonSchema.minimum;
    }
  },
} satisfies z.core.ToJSONSchemaParams;

/** Returns the `$ref` of a schema registered with component(). */
export function componentRef(schema: z.ZodType): ReferenceObject {
  const name = schemaMetadata.get(schema)?.id;
  if (name === undefined) {
    throw new Error("OpenAPI: a request or response body schema is not registered with component(); register it so it is emitted once under components.schemas.");
  }
  return { $ref: `#/components/schemas/${name}` };
}

/**
 * Converts every schema registered with component() to the entries of
 * `components.schemas`, references between them included.
 */
export function componentSchemas(): Record<string, SchemaObject> {
  const { schemas } = z.toJSONSchema(schemaMetadata, { ...CONVERSION, uri: (id) => `#/components/schemas/${id}` });
  const components: Record<string, SchemaObject> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    // Inside an OpenAPI document a component carries neither a dialect nor
    // an `$id`, and zod's `$id` here would be a fragment, which 2020-12 forbids.
    const { $schema: _dialect, $id: _id, ...rest } = schema;
    components[name] = rest as SchemaObject;
  }
  return components;
}

/**
 * Converts a route's zod object of path or query parameters to OpenAPI
 * parameters, one per property. A path parameter is always required, and a
 * query parameter is required when it has no default and is not optional.
 */
export function parametersOf(
  location: "path" | "query",
  schema: z.ZodObject,
  descriptions: Readonly<Record<string, string>>,
): ParameterObject[] {
  const converted = z.toJSONSchema(schema, CONVERSION);
  const required = new Set(converted.required ?? []);
  return Object.entries(converted.properties ?? {}).map(([name, property]) => {
    if (typeof property === "boolean" || "$defs" in converted) {
      throw new Error(`OpenAPI: parameter "${name}" converted to a boolean schema or to one with $defs, which a parameter cannot use. Give it a plain zod schema.`);
    }
    const parameter: ParameterObject = {
      name,
      in: location,
      required: location === "path" || required.has(name),
      schema: property as SchemaObject,
    };
    const description = descriptions[name];
    if (description !== undefined) {
      parameter.description = description;
    }
    return parameter;
  });
}
