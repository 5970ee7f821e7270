import type { Appointment, Bundle, BundleEntry, Encounter, Patient, Reference } from "@medplum/fhirtypes";
import type { ChupCloudEvent } from "../normalize/cloudevent";
import { isRecord } from "../normalize/data";
import { buildAppointment, buildEncounter, buildPatient, type ClientFacts, clientOfBooking, clientOfClientEvent } from "./resources";
import { uriUuid } from "./uuid";

/** The identifier system of Bundle.identifier, whose value is the CloudEvent id. */
export const EVENT_IDENTIFIER_SYSTEM = "urn:chup-edge-gateway:event";

type IdentifiedResource = Patient | Encounter | Appointment;

/**
 * Builds the FHIR R4 transaction Bundle that delivers one event to a clinic
 * configured for FHIR. Encounters, Appointments and the Patients of client
 * events are conditional updates (PUT by identifier). The Patient of a
 * visit or appointment event is a conditional create, so the partial
 * client fields of a queue event never overwrite a richer Patient. A
 * repeated delivery of the same Bundle therefore changes nothing.
 *
 * Returns null for events that have no FHIR form. These are service,
 * staff, client-deleted and unknown events, and events from which no valid
 * Encounter, Appointment or Patient can be built. Events flagged
 * `data.gateway.out_of_order` also get null, because their older state
 * would overwrite a newer one. Pure and synchronous.
 */
export function buildFhirBundle(event: ChupCloudEvent): Bundle | null {
  const data = event.data;
  if (isRecord(data.gateway) && data.gateway.out_of_order === true) {
    return null;
  }

  const [namespace, resource, suffix] = event.type.split(".");
  if (namespace !== "chup") {
    return null;
  }
  const deleted = suffix === "deleted";
  let entries: BundleEntry[] | null;
  switch (resource) {
    case "visit":
      entries = visitEntries(event.clinicid, data, deleted);
      break;
    case "appointment":
      entries = appointmentEntries(event.clinicid, data, deleted);
      break;
    case "client":
      entries = deleted ? null : clientEntries(event.clinicid, data);
      break;
    default:
      entries = null;
  }
  if (entries === null) {
    return null;
  }

  return {
    resourceType: "Bundle",
    identifier: { system: EVENT_IDENTIFIER_SYSTEM, value: event.id },
    type: "transaction",
    entry: entries,
  };
}

function visitEntries(clinicId: string, data: Record<string, unknown>, deleted: boolean): BundleEntry[] | null {
  const client = clientOfBooking(data);
  const patientEntry = client === null ? null : patientCreateEntry(clinicId, client);
  const encounter = buildEncounter(clinicId, data, { deleted, subject: referenceTo(patientEntry) });
  if (encounter === null) {
    return null;
  }
  return [...(patientEntry === null ? [] : [patientEntry]), identifiedEntry(encounter, "PUT")];
}

function appointmentEntries(clinicId: string, data: Record<string, unknown>, deleted: boolean): BundleEntry[] | null {
  const client = clientOfBooking(data);
  const patientEntry = client === null ? null : patientCreateEntry(clinicId, client);
  const appointment = buildAppointment(clinicId, data, { deleted, patient: referenceTo(patientEntry) });
  if (appointment === null || patientEntry === null) {
    return null;
  }
  return [patientEntry, identifiedEntry(appointment, "PUT")];
}

function clientEntries(clinicId: string, data: Record<string, unknown>): BundleEntry[] | null {
  const client = clientOfClientEvent(data);
  return client === null ? null : [identifiedEntry(buildPatient(clinicId, client), "PUT")];
}

function patientCreateEntry(clinicId: string, client: ClientFacts): BundleEntry {
  return identifiedEntry(buildPatient(clinicId, client), "POST");
}

/**
 * Wraps a resource in an entry keyed by its first identifier. PUT is a
 * conditional update, which creates the resource when none has the
 * identifier and updates it when one has. POST is a conditional create,
 * which creates it only when none has. The fullUrl is the version 5 UUID
 * of "<system>:<value>", so it is the same in every Bundle.
 */
function identifiedEntry(resource: IdentifiedResource, method: "PUT" | "POST"): BundleEntry {
  const identifier = resource.identifier?.[0];
  if (identifier?.system === undefined || identifier.value === undefined) {
    throw new TypeError(`${resource.resourceType} has no identifier to key its Bundle entry on`);
  }

  const search = `identifier=${queryEscape(identifier.system)}|${queryEscape(identifier.value)}`;
  const fullUrl = `urn:uuid:${uriUuid(`${identifier.system}:${identifier.value}`)}`;
  const request: BundleEntry["request"] =
    method === "PUT" ? { method, url: `${resource.resourceType}?${search}` } : { method, url: resource.resourceType, ifNoneExist: search };
  return { fullUrl, resource, request };
}

function referenceTo(entry: BundleEntry | null): Reference<Patient> | null {
  return entry?.fullUrl === undefined ? null : { reference: entry.fullUrl };
}

/**
 * Escapes a search value for a query string. Identifier systems and Chup
 * ids contain only letters, digits, "-" and ":" (clinic ids match
 * [a-z0-9-]), so in practice the text passes through unchanged.
 */
function queryEscape(text: string): string {
  return encodeURIComponent(text).replaceAll("%3A", ":");
}
