import type { CountryCode } from "libphonenumber-js";

/** Stored state of the entity an event concerns. */
export interface EntitySnapshot {
  stateCode: number | null;
  /** The source's updated_at of the newest event applied, in UTC milliseconds. */
  sourceUpdatedAt: number | null;
  /** Appointment date and time as last applied; null for other entities. */
  date: string | null;
  time: string | null;
}

/** An earlier visit of the same patient at another service, for "moved" events. */
export interface EarlierVisit {
  visitId: string;
  serviceId: string | null;
  serviceName: string | null;
}

/** Everything normalization needs beyond the payload itself. */
export interface NormalizeContext {
  clinicId: string;
  timezone: string;
  country: CountryCode;
  /** Base URL the gateway serves its JSON Schemas from, e.g. "https://gw.example/schemas/v1". */
  schemaBaseUrl: string;
  previous: EntitySnapshot | null;
  earlierVisit: EarlierVisit | null;
}
