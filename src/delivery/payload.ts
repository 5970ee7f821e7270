import type { Clinic } from "../clinics";
import { buildFhirBundle } from "../fhir/bundle";
import type { ChupCloudEvent } from "../normalize/cloudevent";

export const CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8";
export const FHIR_CONTENT_TYPE = "application/fhir+json; charset=utf-8";

export interface DeliveryPayload {
  body: string;
  contentType: string;
}

/**
 * Returns what the clinic's HIS receives for an event in its delivery
 * format, or null when the format has nothing to send: a FHIR clinic gets
 * no request for service, staff and unknown events.
 */
export function deliveryPayload(clinic: Pick<Clinic, "deliveryFormat">, cloudEvent: ChupCloudEvent): DeliveryPayload | null {
  if (clinic.deliveryFormat === "fhir") {
    const bundle = buildFhirBundle(cloudEvent);
    return bundle === null ? null : { body: JSON.stringify(bundle), contentType: FHIR_CONTENT_TYPE };
  }
  return { body: JSON.stringify(cloudEvent), contentType: CLOUDEVENTS_CONTENT_TYPE };
}
