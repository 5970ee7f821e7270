CREATE TABLE `clinics` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`timezone` text NOT NULL,
	`webhook_secrets` text NOT NULL,
	`delivery_mode` text NOT NULL,
	`delivery_url` text NOT NULL,
	`signing_secret` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`signature` text NOT NULL,
	`chup_event` text NOT NULL,
	`type` text NOT NULL,
	`subject` text,
	`ordering_key` text NOT NULL,
	`received_at` integer NOT NULL,
	`payload_raw` text NOT NULL,
	`cloud_event` text NOT NULL,
	`delivery_state` text DEFAULT 'received' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_attempt_at` integer,
	`last_status` integer,
	`last_error` text,
	`next_attempt_at` integer,
	`delivered_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_clinic_signature_unique` ON `events` (`clinic_id`,`signature`);--> statement-breakpoint
CREATE INDEX `events_clinic_received_idx` ON `events` (`clinic_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `events_clinic_state_idx` ON `events` (`clinic_id`,`delivery_state`);--> statement-breakpoint
CREATE TABLE `quarantine` (
	`id` text PRIMARY KEY NOT NULL,
	`clinic_id` text NOT NULL,
	`received_at` integer NOT NULL,
	`status` integer NOT NULL,
	`reason` text NOT NULL,
	`detail` text NOT NULL,
	`headers` text NOT NULL,
	`body` text NOT NULL,
	`body_encoding` text NOT NULL,
	`body_truncated` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX `quarantine_clinic_received_idx` ON `quarantine` (`clinic_id`,`received_at`);