import type { Appointment, CodeableConcept, ContactPoint, Encounter, Patient, Reference } from "@medplum/fhirtypes";
import { isRecord } from "../normalize/data";

/**
 * FHIR R4 resources built from the normalized `data` of one CloudEvent.
 * Every builder reads only fields the gateway has already normalized
 * (decimal-string ids, `state` as {code, name}, UTC timestamps, E.164
 * phones) and leaves out an element whose source field is missing or
 * unreadable instead of guessing it.
 */

/** The Chup entities that get an identifier system of their own. */
export type IdentifierKind = "client" | "visit" | "appointment" | "service";

/**
 * Returns the identifier system of one kind of Chup id in one clinic.
 * Chup ids are unique only within a Chup account, so the clinic is part of
 * the system. The gateway owns no domain name, so the system is a URN.
 */
export function identifierSystem(clinicId: string, kind: IdentifierKind): string {
  return `urn:chup-edge-gateway:clinic:${clinicId}:${kind}`;
}

/** Encounter.status for each live queue state code. */
export const ENCOUNTER_STATUS_BY_VISIT_STATE: Readonly<Record<number, Encounter["status"]>> = {
  1: "planned",
  2: "planned",
  3: "arrived",
  4: "in-progress",
  5: "finished",
  7: "cancelled",
  // R4 Encounter.status has no no-show code. A no-show encounter ended
  // before it began, which R4 defines as cancelled.
  8: "cancelled",
};

/** Appointment.status for each Chup appointment state code; Chup's examples show only 1 "Booked". */
export const APPOINTMENT_STATUS_BY_STATE: Readonly<Record<number, Appointment["status"]>> = {
  1: "booked",
};

/** Client fields as one event carries them. */
export interface ClientFacts {
  clientId: string;
  name: string | null;
  /** Distinct E.164 numbers, most authoritative first. */
  phones: string[];
  email: string | null;
}

/** Reads the client of a visit or appointment event from its registered_client_* and client_* fields. */
export function clientOfBooking(data: Record<string, unknown>): ClientFacts | null {
  const clientId = readId(data, "registered_client_id");
  if (clientId === null) {
    return null;
  }
  return {
    clientId,
    name: readText(data, "registered_client_name") ?? readText(data, "client_name"),
    phones: distinct([readPhone(data, "registered_client_phone"), readPhone(data, "client_phone")]),
    email: readEmail(data, "client_email"),
  };
}

/**
 * Reads the client of a client_* event. Chup has not published these
 * payloads, so the field names `name`, `phone` and `email` are assumed.
 */
export function clientOfClientEvent(data: Record<string, unknown>): ClientFacts | null {
  const clientId = readId(data, "id");
  if (clientId === null) {
    return null;
  }
  return { clientId, name: readText(data, "name"), phones: distinct([readPhone(data, "phone")]), email: readEmail(data, "email") };
}

/** Builds the Patient of a Chup client. The name stays one `text` because Chup sends one full-name string. */
export function buildPatient(clinicId: string, client: ClientFacts): Patient {
  const telecom: ContactPoint[] = client.phones.map((phone) => ({ system: "phone", value: phone }));
  if (client.email !== null) {
    telecom.push({ system: "email", value: client.email });
  }

  const patient: Patient = {
    resourceType: "Patient",
    identifier: [{ system: identifierSystem(clinicId, "client"), value: client.clientId }],
  };
  if (client.name !== null) {
    patient.name = [{ text: client.name }];
  }
  if (telecom.length > 0) {
    patient.telecom = telecom;
  }
  return patient;
}

/**
 * Builds the Encounter of one live queue entry (a visit to one service),
 * or returns null when the visit has no id. A deleted visit is
 * entered-in-error: Chup cancels a visit through state 7, so a deletion
 * means the entry should not exist at all.
 */
export function buildEncounter(clinicId: string, data: Record<string, unknown>, options: { deleted: boolean; subject: Reference<Patient> | null }): Encounter | null {
  const visitId = readId(data, "id");
  if (visitId === null) {
    return null;
  }

  const stateCode = readStateCode(data);
  let status: Encounter["status"] = "unknown";
  if (options.deleted) {
    status = "entered-in-error";
  } else if (stateCode !== null) {
    status = ENCOUNTER_STATUS_BY_VISIT_STATE[stateCode] ?? "unknown";
  }
  const encounter: Encounter = {
    resourceType: "Encounter",
    identifier: [{ system: identifierSystem(clinicId, "visit"), value: visitId }],
    status,
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB", display: "ambulatory" },
  };

  const serviceType = serviceConcept(clinicId, data);
  if (serviceType !== null) {
    encounter.serviceType = serviceType;
  }
  if (options.subject !== null) {
    encounter.subject = options.subject;
  }

  const start = readDateTime(data, "created_at");
  const end = status === "finished" ? readDateTime(data, "updated_at") : null;
  if (start !== null) {
    // Period.end before Period.start breaks the R4 invariant per-1, so an
    // end that Chup's clock put before the start is left out.
    encounter.period = end !== null && Date.parse(end) >= Date.parse(start) ? { start, end } : { start };
  }

  // A logical reference by identifier, not a conditional one. A conditional
  // reference to an Appointment the HIS never received fails the whole
  // transaction, but R4 does not require a server to resolve this one.
  const appointmentId = readId(data, "appointment_id");
  if (appointmentId !== null) {
    encounter.appointment = [{ type: "Appointment", identifier: { system: identifierSystem(clinicId, "appointment"), value: appointmentId } }];
  }
  return encounter;
}

/**
 * Builds the Appointment of a Chup booking, or returns null when the event
 * allows no valid R4 Appointment. That is the case when the id or the
 * patient is missing (participant is required), when the state code is
 * unknown, and when a booked appointment lacks its start or end (app-3).
 */
export function buildAppointment(
  clinicId: string,
  data: Record<string, unknown>,
  options: { deleted: boolean; patient: Reference<Patient> | null },
): Appointment | null {
  const appointmentId = readId(data, "id");
  if (appointmentId === null || options.patient === null) {
    return null;
  }

  const stateCode = readStateCode(data);
  // NOTE: Chup's examples show only state 1 "Booked". An event in any other
  // state is not mapped until Chup documents what its codes mean.
  let status: Appointment["status"] | undefined;
  if (options.deleted) {
    status = "cancelled";
  } else if (stateCode !== null) {
    status = APPOINTMENT_STATUS_BY_STATE[stateCode];
  }
  if (status === undefined) {
    return null;
  }

  const gateway = isRecord(data.gateway) ? data.gateway : {};
  const start = readDateTime(gateway, "starts_at");
  const end = readDateTime(gateway, "ends_at");
  if (status !== "cancelled" && (start === null || end === null)) {
    return null;
  }

  const appointment: Appointment = {
    resourceType: "Appointment",
    identifier: [{ system: identifierSystem(clinicId, "appointment"), value: appointmentId }],
    status,
    participant: [{ actor: options.patient, status: "accepted" }],
  };

  const serviceType = serviceConcept(clinicId, data);
  if (serviceType !== null) {
    appointment.serviceType = [serviceType];
    if (serviceType.text !== undefined) {
      appointment.description = serviceType.text;
    }
  }
  if (start !== null) {
    appointment.start = start;
  }
  if (end !== null) {
    appointment.end = end;
  }
  if (typeof data.duration === "number" && Number.isInteger(data.duration) && data.duration > 0) {
    appointment.minutesDuration = data.duration;
  }
  const created = readDateTime(data, "created_at");
  if (created !== null) {
    appointment.created = created;
  }
  return appointment;
}

/** Describes the Chup service (Registration, Pharmacy, …) as a code in the clinic's service system and as text. */
function serviceConcept(clinicId: string, data: Record<string, unknown>): CodeableConcept | null {
  const serviceId = readId(data, "service_id");
  const serviceName = readText(data, "service_name");
  if (serviceId === null && serviceName === null) {
    return null;
  }

  const concept: CodeableConcept = {};
  if (serviceId !== null) {
    concept.coding = [{ system: identifierSystem(clinicId, "service"), code: serviceId, ...(serviceName === null ? {} : { display: serviceName }) }];
  }
  if (serviceName !== null) {
    concept.text = serviceName;
  }
  return concept;
}

const DECIMAL_ID = /^\d+$/;
const E164 = /^\+[1-9]\d{1,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
// FHIR R4 dateTime with a time part, which then requires a zone.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Reads a normalized id (a decimal string); anything else counts as missing. */
export function readId(data: Record<string, unknown>, key: string): string | null {
  const value = data[key];
  return typeof value === "string" && DECIMAL_ID.test(value) ? value : null;
}

/** Reads the normalized state code of a visit or appointment. */
export function readStateCode(data: Record<string, unknown>): number | null {
  const state = data.state;
  return isRecord(state) && typeof state.code === "number" ? state.code : null;
}

function readText(data: Record<string, unknown>, key: string): string | null {
  const value = data[key];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

function readPhone(data: Record<string, unknown>, key: string): string | null {
  const value = data[key];
  return typeof value === "string" && E164.test(value) ? value : null;
}

function readEmail(data: Record<string, unknown>, key: string): string | null {
  const value = readText(data, key);
  return value !== null && EMAIL.test(value) ? value : null;
}

function readDateTime(data: Record<string, unknown>, key: string): string | null {
  const value = data[key];
  return typeof value === "string" && DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)) ? value : null;
}

function distinct(values: (string | null)[]): string[] {
  return [...new Set(values.filter((value): value is string => value !== null))];
}
